#!/usr/bin/env bash
# Fuzzes the readers of untrusted files (IDX, .npy, safetensors) with libFuzzer and
# AddressSanitizer. Not part of `swift test` or CI: a million executions per parser take
# minutes. See Tests/Fuzz/README.md.
#
#   Tests/Fuzz/run.sh                      # all three parsers, 1,000,000 executions each
#   RUNS=20000 Tests/Fuzz/run.sh npy       # a quick pass over one parser
#   Tests/Fuzz/run.sh --build-only         # just build the fuzzers
#
# Environment: RUNS (executions per parser, default 1000000), MAX_LEN (largest input in
# bytes, default 4096), RSS_LIMIT_MB (default 1024), MALLOC_LIMIT_MB (largest single
# allocation, default 32: far beyond what a 4 KB input justifies, so over-allocation fails),
# JOBS (parallel fuzzing processes per parser, default 1), SANITIZE (default fuzzer,address).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
runs="${RUNS:-1000000}"
max_len="${MAX_LEN:-4096}"
rss_limit="${RSS_LIMIT_MB:-1024}"
malloc_limit="${MALLOC_LIMIT_MB:-32}"
sanitize="${SANITIZE:-fuzzer,address}"
scratch="$root/.build-fuzz"
out="$scratch/fuzzers"

build_only=0
parsers=()
for arg in "$@"; do
    case "$arg" in
        --build-only) build_only=1 ;;
        idx|npy|safetensors) parsers+=("$arg") ;;
        *) echo "usage: $0 [--build-only] [idx] [npy] [safetensors]" >&2; exit 2 ;;
    esac
done
[ ${#parsers[@]} -gt 0 ] || parsers=(idx npy safetensors)

# 1. The libraries, instrumented for coverage (and ASan) but not linked, in their own
#    scratch path so the normal .build is untouched.
# One comma-separated flag: given twice, the driver keeps only the last.
flags=(-Xswiftc "-sanitize=$sanitize")
echo "== building the libraries with -sanitize=$sanitize in $scratch"
swift build --scratch-path "$scratch" --target Training "${flags[@]}" 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
bin="$(swift build --scratch-path "$scratch" --show-bin-path "${flags[@]}")"
numerics="$scratch/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap"

# 2. One executable per parser: its entry point linked against the libraries' objects.
mkdir -p "$out"
objects() { for target in "$@"; do ls "$bin/$target.build/"*.o; done; }
link() {
    local parser="$1"; shift
    echo "== linking $out/fuzz-$parser"
    # shellcheck disable=SC2046
    swiftc -sanitize="$sanitize" -parse-as-library -swift-version 6 -use-ld=lld \
        -I "$bin/Modules" \
        -Xcc -fmodule-map-file="$bin/CBLAS.build/module.modulemap" \
        -Xcc -fmodule-map-file="$numerics" \
        -Xcc -fmodule-map-file="$root/Sources/CZlib/module.modulemap" \
        "Tests/Fuzz/$parser.swift" $(objects "$@") \
        -lz -ldl -lpthread -o "$out/fuzz-$parser"
}
for parser in "${parsers[@]}"; do
    case "$parser" in
        idx) link idx CBLAS _NumericsShims RealModule ArrayKit AutoGrad Training ;;
        *) link "$parser" CBLAS _NumericsShims RealModule ArrayKit ;;
    esac
done
[ "$build_only" = 0 ] || exit 0

# 3. Fuzz. New inputs go to a working corpus under the scratch path; the committed seeds
#    are only read. A crash, a sanitizer report, a leak, a timeout or an allocation above
#    the limits stops the run and leaves the input in $scratch/artifacts/.
summary=()
# The IDX fuzzer's scratch files (in memory when /dev/shm exists), removed on exit.
IDX_FUZZ_DIR="$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/idx-fuzz.XXXXXX")"
export IDX_FUZZ_DIR
trap 'rm -rf "$IDX_FUZZ_DIR"' EXIT
for parser in "${parsers[@]}"; do
    work="$scratch/corpus/$parser"
    mkdir -p "$work" "$scratch/artifacts"
    log="$scratch/fuzz-$parser.log"
    echo "== fuzzing $parser: $runs executions (log: $log)"
    jobs_flag=()
    [ "${JOBS:-1}" = 1 ] || jobs_flag=(-jobs="$JOBS" -workers="$JOBS")
    "$out/fuzz-$parser" "$work" "Tests/Fuzz/corpus/$parser" \
        -runs="$runs" -max_len="$max_len" -rss_limit_mb="$rss_limit" -malloc_limit_mb="$malloc_limit" \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$parser-" \
        "${jobs_flag[@]}" > "$log" 2>&1 || { tail -40 "$log"; echo "FAILED: $parser (see $log)"; exit 1; }
    executed="$(grep -o 'number_of_executed_units: [0-9]*' "$log" | awk '{s += $2} END {print s}')"
    seconds="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | awk '{print $5}' | tail -1)"
    coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -1)"
    summary+=("$parser: $executed executions, no crash ($coverage, ${seconds:-?} s)")
done
echo "== summary"
printf '  %s\n' "${summary[@]}"

#!/usr/bin/env bash
# Builds the DocC documentation of the libraries (offline, with swift-docc-plugin) and fails
# on any warning (an unresolved symbol link, a missing article or resource) and on any public
# symbol without a summary.
#   scripts/build-docs.sh              # ArrayKit, AutoGrad, Training
#   scripts/build-docs.sh ArrayKit     # one library
# The archives land in .build/plugins/Swift-DocC/outputs/<Target>.doccarchive; preview one with
#   swift package --disable-sandbox preview-documentation --target ArrayKit
# Members the compiler adds for a conformance (`!=`, `hash(into:)`) are left out, and members
# that implement a standard protocol without a comment of their own (`description`,
# `init(rawValue:)`) show the protocol's documentation.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ArrayKit AutoGrad Training)
for target in "${targets[@]}"; do
    swift package --disable-sandbox generate-documentation --target "$target" --warnings-as-errors \
        --experimental-skip-synthesized-symbols --enable-inherited-docs \
        --experimental-documentation-coverage --coverage-summary-level brief
    python3 - ".build/plugins/Swift-DocC/outputs/$target.doccarchive/documentation-coverage.json" "$target" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
symbols = [e for e in entries if e["kind"]["isSymbol"]]
missing = sorted(e["referencePath"].split("/documentation/", 1)[1] for e in symbols if not e["hasAbstract"])
for path in missing:
    print(f"undocumented: {path}")
print(f"{sys.argv[2]}: {len(symbols) - len(missing)} of {len(symbols)} public symbols documented")
sys.exit(1 if missing else 0)
PY
done

#!/usr/bin/env python3
"""Runs Backprop's two backends and the NumPy and PyTorch references in alternation on
this machine and prints the median seconds per training epoch, the load times, the peak
memory of every run and the ratios the speed targets are stated in (Docs/Performance.md).

    python3 Benchmarks/reference/compare.py                  # 3 rounds × 3 epochs, all CPUs
    python3 Benchmarks/reference/compare.py --rounds 5 --threads 1 --json out.json

One round runs ArrayKit, NumPy, AutoGrad, PyTorch in that order, so each of ours sits
next to its reference in time; on a shared machine only such A/B ratios mean anything.
The first epoch of every run is a warm-up and is left out of the medians. Ratios are
taken within a round and their median over rounds is printed, for wall time (what the
targets are stated in) and for the process's CPU time (which other processes on a shared
machine do not inflate; with one thread per framework it equals wall time when idle). `--threads`
applies to all four alike (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS and
Backprop's --threads), so no side gets more cores than the other.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = os.path.dirname(HERE)
EPOCH_BENCH = os.path.join(BENCHMARKS, ".build", "release", "epoch-bench")


def run(name, command, env):
    """Runs one training under /usr/bin/time -v; returns its JSON report plus peak RSS (MB)."""
    result = subprocess.run(["/usr/bin/time", "-v"] + command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{name} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    report["peak_mb"] = int(peak.group(1)) / 1024 if peak else float("nan")
    return report


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=3, help="per run; the first is a warm-up")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                   help="BLAS/OpenMP threads for every framework (default: the CPUs this process may use, "
                        "which is what each framework uses by default)")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--skip-build", action="store_true", help="use the epoch-bench already built")
    p.add_argument("--json", help="also write every run's report here")
    a = p.parse_args()
    if a.epochs < 2:
        sys.exit("--epochs must be at least 2 (the first is a warm-up)")

    if not a.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "epoch-bench"], cwd=BENCHMARKS, check=True,
                       stdout=subprocess.DEVNULL)
    env = dict(os.environ)
    threads = str(a.threads)
    env.update(OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    # A kernel forced for one side would slow or speed it alone; the comparison runs each
    # on the kernel it picks for this CPU.
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(variable, None)
    common = ["--epochs", str(a.epochs), "--data-dir", a.data_dir]
    commands = {
        "arraykit": [EPOCH_BENCH, "--backend", "manual", "--threads", threads] + common,
        "numpy": [sys.executable, os.path.join(HERE, "train_numpy.py")] + common,
        "autograd": [EPOCH_BENCH, "--backend", "autograd", "--threads", threads] + common,
        "pytorch": [sys.executable, os.path.join(HERE, "train_torch.py")] + common,
    }
    runs = {name: [] for name in commands}
    for round_ in range(1, a.rounds + 1):
        for name, command in commands.items():
            report = run(name, command, env)
            runs[name].append(report)
            print(f"round {round_} {name:9s} epochs {' '.join(f'{s:.3f}' for s in report['epoch_seconds'])} s, "
                  f"(CPU {' '.join(f'{s:.3f}' for s in report['epoch_cpu_seconds'])}), "
                  f"load {report['load_seconds']:.3f} s, peak {report['peak_mb']:.0f} MB", file=sys.stderr)

    def epochs(report, key):
        return report[key][1:]   # the first epoch is a warm-up

    def median_epoch(name, key, round_=None):
        chosen = runs[name] if round_ is None else [runs[name][round_]]
        return statistics.median(s for r in chosen for s in epochs(r, key))

    def load(name):
        return statistics.median(r["load_seconds"] for r in runs[name])

    def peak(name):
        return max(r["peak_mb"] for r in runs[name])

    def fastest(name):
        return min(s for r in runs[name] for s in epochs(r, "epoch_seconds"))

    # Our load is the same code in both backends, so both backends' runs count.
    ours_load = statistics.median(r["load_seconds"] for r in runs["arraykit"] + runs["autograd"])
    print(f"\n{a.rounds} rounds × {a.epochs} epochs, {a.threads} thread(s); medians, first epoch of each run left out")
    print(f"{'':10s} {'epoch s':>9s} {'fastest s':>10s} {'epoch CPU s':>12s} {'load s':>8s} {'peak MB':>8s}")
    for name in commands:
        print(f"{name:10s} {median_epoch(name, 'epoch_seconds'):9.3f} {fastest(name):10.3f} "
              f"{median_epoch(name, 'epoch_cpu_seconds'):12.3f} {load(name):8.3f} {peak(name):8.0f}")

    # A ratio is taken within each round (the two runs sat next to each other in time),
    # then the median over rounds: a burst of load from elsewhere spoils one round, not all.
    def paired(ours, theirs, key):
        values = [median_epoch(ours, key, r) / median_epoch(theirs, key, r) for r in range(a.rounds)]
        return statistics.median(values), min(values), max(values)

    pairs = {
        "arraykit / numpy (epoch, target ≤ 0.6)": ("arraykit", "numpy"),
        "autograd / pytorch (epoch, target ≤ 0.6)": ("autograd", "pytorch"),
        "autograd / arraykit (epoch, target ≤ 1.15)": ("autograd", "arraykit"),
    }
    # Noise from other processes (or other virtual machines on the host) only ever adds
    # time, so each side's fastest epoch (`fastest`) is a second, steadier estimate of
    # what it can do.
    ratios = {}
    print(f"\n{'ratio (median of per-round ratios; range)':45s} {'wall':>6s} {'':15s} {'CPU':>6s} {'fastest':>8s}")
    for label, (ours, theirs) in pairs.items():
        wall, cpu = paired(ours, theirs, "epoch_seconds"), paired(ours, theirs, "epoch_cpu_seconds")
        best = fastest(ours) / fastest(theirs)
        ratios[label] = {"wall": wall[0], "cpu": cpu[0], "fastest": best}
        print(f"{label:45s} {wall[0]:6.3f} ({wall[1]:.3f}–{wall[2]:.3f}) {cpu[0]:6.3f} ({cpu[1]:.3f}–{cpu[2]:.3f}) "
              f"{best:8.3f}")
    ratios["backprop / numpy (load, target ≤ 0.5)"] = {"wall": ours_load / load("numpy")}
    print(f"{'backprop / numpy (load, target ≤ 0.5)':45s} {ours_load / load('numpy'):6.3f}")
    print(f"{'autograd peak memory (MB, target ≤ 400)':45s} {peak('autograd'):6.0f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "runs": runs, "ratios": ratios}, f, indent=1)


if __name__ == "__main__":
    main()

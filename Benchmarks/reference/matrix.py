#!/usr/bin/env python3
"""The benchmark matrix: AutoGrad next to PyTorch and ArrayKit next to NumPy over network
widths and depths, batch sizes, optimizers and batch norm, each configuration with its floor
(Docs/Performance.md, "The matrix").

    python3 Benchmarks/reference/matrix.py                       # the documented table
    python3 Benchmarks/reference/matrix.py --quick               # 1 round, 1/16 epoch: a smoke test
    python3 Benchmarks/reference/matrix.py --design full         # all 162 configurations
    python3 Benchmarks/reference/matrix.py --threads 2 --json out.json

The design ("partial", the default) varies each axis alone from the default network
(784-128-10, batch 128, SGD 0.1, no batch norm) and adds six combinations that stack the
expensive options, 16 configurations; "full" is the whole cross product. Every round runs
each configuration's frameworks back to back (ArrayKit, NumPy, AutoGrad, PyTorch; ArrayKit
and NumPy only for plain SGD without batch norm) before the next configuration, so each
ratio compares runs seconds apart. A run trains --warmup-batches batches, then times a
--fraction of an epoch; its seconds are scaled to a whole epoch. Ratios are taken within a
round and their median over rounds printed, for wall time and for the process's CPU time.

The floor of a configuration is its products' FLOPs ÷ the measured sgemm peak plus its bytes
moved ÷ the measured memory bandwidth (machine_limits.c, compiled and run first unless
--limits names its saved output), both for the thread count of the run. At one thread the
floor is compared with CPU seconds, which the load of other processes hardly changes.
"""
import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys

import compare

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = {"hidden": (128,), "batch": 128, "optimizer": "sgd", "batch_norm": False}
# Learning rates that train every configuration without diverging: a run that diverged
# would skip its backward passes and time nothing.
RATES = {"sgd": 0.1, "momentum": 0.05, "adam": 0.001}


def partial_design():
    """Each axis varied alone from the default, then six combinations of the costly options."""
    configs = [dict(DEFAULT)]
    configs += [dict(DEFAULT, hidden=h) for h in [(512,), (1024,), (128, 128), (128, 128, 128)]]
    configs += [dict(DEFAULT, batch=b) for b in [32, 512]]
    configs += [dict(DEFAULT, optimizer=o) for o in ["momentum", "adam"]]
    configs += [dict(DEFAULT, batch_norm=True)]
    configs += [
        dict(DEFAULT, hidden=(1024, 1024)),
        dict(DEFAULT, hidden=(512, 512), batch=32),
        dict(DEFAULT, hidden=(512, 512), optimizer="adam", batch_norm=True),
        dict(DEFAULT, hidden=(1024,), batch=512, optimizer="momentum"),
        dict(DEFAULT, hidden=(128, 128, 128), batch=32, optimizer="momentum", batch_norm=True),
        dict(DEFAULT, hidden=(1024, 1024, 1024), batch=512, optimizer="adam", batch_norm=True),
    ]
    return configs


def full_design():
    return [{"hidden": (w,) * d, "batch": b, "optimizer": o, "batch_norm": n}
            for w, d, b, o, n in itertools.product([128, 512, 1024], [1, 2, 3], [32, 128, 512],
                                                   ["sgd", "momentum", "adam"], [False, True])]


def name(c):
    parts = ["784-" + "-".join(map(str, c["hidden"])) + "-10", f"b{c['batch']}", c["optimizer"]]
    return " ".join(parts + (["BN"] if c["batch_norm"] else []))


def frameworks(c):
    plain = c["optimizer"] == "sgd" and not c["batch_norm"]
    return ["arraykit", "numpy", "autograd", "pytorch"] if plain else ["autograd", "pytorch"]


def command(framework, c, a, batches):
    options = ["--epochs", "1", "--data-dir", a.data_dir, "--hidden", ",".join(map(str, c["hidden"])),
               "--batch-size", str(c["batch"]), "--lr", str(RATES[c["optimizer"]]),
               "--warmup-batches", str(a.warmup_batches), "--batches", str(batches)]
    options += {"sgd": [], "momentum": ["--momentum", "0.9"], "adam": ["--optimizer", "adam"]}[c["optimizer"]]
    options += ["--batch-norm"] if c["batch_norm"] else []
    if framework in ("arraykit", "autograd"):
        backend = "manual" if framework == "arraykit" else "autograd"
        return [compare.EPOCH_BENCH, "--backend", backend, "--threads", str(a.threads)] + options
    script = "train_numpy.py" if framework == "numpy" else "train_torch.py"
    return [sys.executable, os.path.join(HERE, script)] + options


# ---- the floor ------------------------------------------------------------------------------

STATE_BYTES = {"sgd": 0, "momentum": 8, "adam": 16}   # per parameter, read and written by the update


def work(c):
    """(FLOPs, bytes moved, bytes of parameter state) of one training step."""
    widths = [784] + list(c["hidden"]) + [10]
    flops = 0
    for n, (i, o) in enumerate(zip(widths, widths[1:])):
        products = 2 if n == 0 else 3   # forward, dW, and dX except for the input layer
        flops += products * 2 * c["batch"] * i * o
    parameters = sum(i * o + o for i, o in zip(widths, widths[1:]))
    parameters += sum(2 * w for w in c["hidden"]) if c["batch_norm"] else 0
    # The forward reads W, the backward writes dW, the update reads W and dW and writes W
    # (SGD: 12 bytes), plus its state read and written; the batch's pixels are read as bytes.
    # Activations (at most 512 × 1024 floats a layer) stay in the caches and count nothing.
    per_parameter = 4 + 4 + 12 + STATE_BYTES[c["optimizer"]]
    footprint = parameters * (8 + STATE_BYTES[c["optimizer"]] // 2)
    return flops, parameters * per_parameter + c["batch"] * 784, footprint


def floor_seconds(c, limits, threads, clock):
    """Seconds per epoch at the measured peak sgemm rate and at the bandwidth measured on the
    smallest working set at least as large as the parameters and their state."""
    key = "gflops_cpu" if clock == "cpu" else "gflops"
    peak = max(s[key] for s in limits["sgemm"] if s["threads"] == threads)
    flops, moved, footprint = work(c)
    sets = sorted((b for b in limits["bandwidth"] if b["threads"] == threads), key=lambda b: b["bytes"])
    fitting = [b for b in sets if b["bytes"] >= footprint] or sets[-1:]
    bandwidth = fitting[0]["gbs_cpu" if clock == "cpu" else "gbs"]
    steps = 55_000 // c["batch"]
    return steps * (flops / peak / 1e9 + moved / bandwidth / 1e9)


def measure_limits(rounds):
    binary = "/tmp/backprop_machine_limits"
    subprocess.run(["cc", "-O3", "-mavx2", "-mfma", os.path.join(HERE, "machine_limits.c"), "-o", binary,
                    "-I/usr/include/x86_64-linux-gnu/openblas-pthread", "-L/usr/lib/x86_64-linux-gnu/openblas-pthread",
                    "-lopenblas", "-lpthread", "-lm"], check=True)
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", OPENBLAS_NUM_THREADS="1")
    return json.loads(subprocess.run([binary, str(rounds)], env=env, check=True, capture_output=True, text=True).stdout)


# ---- the run --------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--design", choices=["partial", "full"], default="partial")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--fraction", type=float, default=0.125, help="of an epoch timed per run (1 = whole epochs)")
    p.add_argument("--warmup-batches", type=int, default=10)
    p.add_argument("--threads", type=int, default=1, help="for every framework (1: CPU time is the work)")
    p.add_argument("--quick", action="store_true", help="1 round of 1/16 epoch")
    p.add_argument("--only", help="run only configurations whose name contains this text")
    p.add_argument("--limits", help="machine_limits output to use instead of measuring")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--skip-build", action="store_true", help="use the epoch-bench already built")
    p.add_argument("--json", help="also write every run's report here")
    p.add_argument("--table", help="print the table of a run saved with --json, without running anything")
    a = p.parse_args()
    if a.table:
        with open(a.table) as f:
            saved = json.load(f)
        for key in ("threads", "design", "rounds", "fraction", "warmup_batches"):
            setattr(a, key, saved.get(key, getattr(a, key)))
        configs = [dict(row["config"], hidden=tuple(row["config"]["hidden"])) for row in saved["rows"]]
        table(configs, saved["runs"], saved["limits"], a)
        return
    if a.quick:
        a.rounds, a.fraction = 1, 1 / 16
    configs = partial_design() if a.design == "partial" else full_design()
    configs = [c for c in configs if a.only is None or a.only in name(c)]

    if not a.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "epoch-bench"], cwd=compare.BENCHMARKS,
                       check=True, stdout=subprocess.DEVNULL)
    if a.limits:
        with open(a.limits) as f:
            limits = json.load(f)
    else:
        limits = measure_limits(rounds=5)
    env = dict(os.environ)
    threads = str(a.threads)
    env.update(OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(variable, None)

    runs = {name(c): {f: [] for f in frameworks(c)} for c in configs}
    for round_ in range(1, a.rounds + 1):
        for c in configs:
            steps = 55_000 // c["batch"]
            batches = max(1, round(steps * a.fraction))
            for framework in frameworks(c):
                report = compare.run(framework, command(framework, c, a, batches), env)
                scale = report["steps_per_epoch"] / report["batches"]
                report["wall"] = report["epoch_seconds"][0] * scale
                report["cpu"] = report["epoch_cpu_seconds"][0] * scale
                loss = report["epochs"][0]["train_loss"]
                if not math.isfinite(loss):
                    sys.exit(f"{framework} diverged on {name(c)} (train loss {loss})")
                runs[name(c)][framework].append(report)
                print(f"round {round_} {name(c):34s} {framework:9s} epoch {report['wall']:7.3f} s "
                      f"(CPU {report['cpu']:7.3f}), peak {report['peak_mb']:5.0f} MB, loss {loss:.3f}", file=sys.stderr)

    report = table(configs, runs, limits, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "design": a.design, "rounds": a.rounds, "fraction": a.fraction,
                       "warmup_batches": a.warmup_batches, "limits": limits, "rows": report, "runs": runs}, f, indent=1)


def table(configs, runs, limits, a):
    """Prints the table in Markdown and returns its rows."""
    clock = "cpu" if a.threads == 1 else "wall"

    def ratio(r, ours, theirs):   # within each round, then the median over rounds
        return statistics.median(o[clock] / t[clock] for o, t in zip(r[ours], r[theirs]))

    def fastest(r, framework):
        return min(x[clock] for x in r[framework])

    print(f"\n{a.design} design, {len(configs)} configurations, {a.rounds} round(s), {a.threads} thread(s), "
          f"{a.fraction:g} of an epoch timed after {a.warmup_batches} warm-up batches.")
    print(f"Seconds are {'CPU time' if clock == 'cpu' else 'wall clock'}. A ratio is the median over rounds of "
          "the ratio within each round, then the ratio of each side's fastest epoch.\n")
    print("| configuration | AutoGrad s/epoch, fastest | AutoGrad / PyTorch: median · fastest "
          "| ArrayKit / NumPy: median · fastest | floor s | / floor, fastest: AutoGrad · PyTorch "
          "| / floor, fastest: ArrayKit · NumPy | peak MB: AutoGrad · PyTorch · ArrayKit · NumPy |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for c in configs:
        r = runs[name(c)]
        floor = floor_seconds(c, limits, a.threads, clock)
        row = {"config": c, "name": name(c), "floor": floor, "clock": clock,
               "fastest": {f: fastest(r, f) for f in r},
               "median": {f: statistics.median(x[clock] for x in r[f]) for f in r},
               "to_floor": {f: fastest(r, f) / floor for f in r},
               "peak_mb": {f: max(x["peak_mb"] for x in r[f]) for f in r},
               "autograd_pytorch": [ratio(r, "autograd", "pytorch"), fastest(r, "autograd") / fastest(r, "pytorch")]}
        if "arraykit" in r:
            row["arraykit_numpy"] = [ratio(r, "arraykit", "numpy"), fastest(r, "arraykit") / fastest(r, "numpy")]
        rows.append(row)
        pair = lambda key: " · ".join(f"{x:.2f}" for x in row[key]) if key in row else ""
        floors = lambda names: " · ".join(f"{row['to_floor'][f]:.2f}" for f in names if f in r)
        peaks = " · ".join(f"{row['peak_mb'][f]:.0f}" for f in ["autograd", "pytorch", "arraykit", "numpy"] if f in r)
        print(f"| {name(c)} | {row['fastest']['autograd']:.3f} | {pair('autograd_pytorch')} "
              f"| {pair('arraykit_numpy')} | {floor:.3f} | {floors(['autograd', 'pytorch'])} "
              f"| {floors(['arraykit', 'numpy'])} | {peaks} |")
    return rows


if __name__ == "__main__":
    main()

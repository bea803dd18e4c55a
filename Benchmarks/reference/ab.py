#!/usr/bin/env python3
"""Two builds of epoch-bench against each other by CPU time, alternated: each round runs the
old binary, then the new one, on one configuration before the next, so a ratio compares runs
seconds apart on a shared, noisy machine (Docs/Performance.md, "Reused gradients").

    cp Benchmarks/.build/release/epoch-bench /tmp/old-epoch-bench     # before the change
    python3 Benchmarks/reference/ab.py /tmp/old-epoch-bench Benchmarks/.build/release/epoch-bench 7

Prints, per configuration, the median CPU seconds of the timed steps for each binary and the
median over rounds of new ÷ old, with every round's ratio.
"""
import json
import statistics
import subprocess
import sys

CONFIGS = {
    "784-128-10 b128 sgd": ["--hidden", "128", "--batches", "200"],
    "784-1024-1024-10 b128 sgd": ["--hidden", "1024,1024", "--batches", "40"],
    "784-1024-10 b512 momentum": ["--hidden", "1024", "--batch-size", "512", "--momentum", "0.9", "--lr", "0.05",
                                  "--batches", "30"],
    "784-128x3-10 b32 momentum BN": ["--hidden", "128,128,128", "--batch-size", "32", "--momentum", "0.9",
                                     "--lr", "0.05", "--batch-norm", "--batches", "400"],
}


def cpu_seconds(binary, args):
    out = subprocess.run([binary, "--backend", "autograd", "--threads", "1", "--epochs", "1",
                          "--warmup-batches", "10"] + args, capture_output=True, text=True, check=True).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])["epoch_cpu_seconds"][0]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for name, args in CONFIGS.items():
        olds, news = [], []
        for _ in range(rounds):
            olds.append(cpu_seconds(old, args))
            news.append(cpu_seconds(new, args))
        ratios = [n / o for o, n in zip(olds, news)]
        print(f"{name}: old {statistics.median(olds):.3f} s, new {statistics.median(news):.3f} s, "
              f"median ratio {statistics.median(ratios):.3f} (rounds {' '.join(f'{r:.3f}' for r in ratios)})",
              flush=True)


if __name__ == "__main__":
    main()

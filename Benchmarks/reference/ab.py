#!/usr/bin/env python3
"""Two builds of epoch-bench against each other by CPU time, alternated: each round runs the
old binary, then the new one, on one configuration before the next, so a ratio compares runs
seconds apart on a shared, noisy machine (Docs/Performance.md, "Reused gradients").

    cp Benchmarks/.build/release/epoch-bench /tmp/old-epoch-bench     # before the change
    python3 Benchmarks/reference/ab.py /tmp/old-epoch-bench Benchmarks/.build/release/epoch-bench 7
    python3 Benchmarks/reference/ab.py OLD NEW 7 2      # 2 threads: wall-clock seconds

Prints, per configuration, the median seconds of the timed steps for each binary and the
median over rounds of new ÷ old, with every round's ratio. On 1 thread (the default) the
seconds are the process's CPU time, which other processes' load hardly changes; on more they
are wall-clock seconds, which need a quiet machine.
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


def seconds(binary, args, threads):
    out = subprocess.run([binary, "--backend", "autograd", "--threads", str(threads), "--epochs", "1",
                          "--warmup-batches", "10"] + args, capture_output=True, text=True, check=True).stdout
    run = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    return run["epoch_cpu_seconds" if threads == 1 else "epoch_seconds"][0]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    for name, args in CONFIGS.items():
        olds, news = [], []
        for _ in range(rounds):
            olds.append(seconds(old, args, threads))
            news.append(seconds(new, args, threads))
        ratios = [n / o for o, n in zip(olds, news)]
        print(f"{name}: old {statistics.median(olds):.3f} s, new {statistics.median(news):.3f} s, "
              f"median ratio {statistics.median(ratios):.3f} (rounds {' '.join(f'{r:.3f}' for r in ratios)})",
              flush=True)


if __name__ == "__main__":
    main()

"""Shared by the NumPy and PyTorch reference trainings: the same data pipeline as
Backprop's (pixels / 255, normalized by the training split's scalar mean and std,
55,000 / 5,000 split, batch 128, drop the last partial training batch), the options of
epoch-bench and the timed loop over epochs."""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"


def parse_args():
    """The options both reference trainings take, with the assignment's defaults."""
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", type=lambda text: [int(w) for w in text.split(",")], default=[128],
                   help="hidden widths, comma-separated (512,256)")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--warmup-batches", type=int, default=0, help="batches trained before the first timed epoch")
    p.add_argument("--batches", type=int, help="time only the first N batches of each epoch")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data-dir", default=DEFAULT_DIR)
    return p.parse_args()


def train(a, tx, ty, step, permutation, validate):
    """Runs the warm-up batches, then `a.epochs` timed epochs of `step(x, y) -> mean loss`
    over batches in the order `permutation(n)` draws; returns the epoch records.
    `validate()` (outside the timed part) returns the validation accuracy."""
    steps = len(tx) // a.batch_size
    timed = min(a.batches or steps, steps)
    warmup = permutation(len(tx))
    for i in range(0, min(a.warmup_batches, steps) * a.batch_size, a.batch_size):
        idx = warmup[i:i + a.batch_size]
        step(tx[idx], ty[idx])
    epochs = []
    for epoch in range(1, a.epochs + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        order = permutation(len(tx))
        total = 0.0
        for i in range(0, timed * a.batch_size, a.batch_size):
            idx = order[i:i + a.batch_size]
            total += step(tx[idx], ty[idx])
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        epochs.append({"epoch": epoch, "train_loss": total / timed, "seconds": seconds, "cpu_seconds": cpu_seconds,
                       "val_accuracy": validate()})
    return epochs, timed, steps


def load_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    sys.exit(f"missing {stem} in {directory}")


def load(directory=DEFAULT_DIR):
    """Returns (train_x, train_y, val_x, val_y, test_x, test_y, load_seconds), no shuffle:
    validation is the last 5,000 training images, as Backprop's --no-shuffle."""
    start = time.perf_counter()
    tx = load_idx(find(directory, "train-images-idx3-ubyte"))
    ty = load_idx(find(directory, "train-labels-idx1-ubyte"))
    sx = load_idx(find(directory, "t10k-images-idx3-ubyte"))
    sy = load_idx(find(directory, "t10k-labels-idx1-ubyte"))
    load_seconds = time.perf_counter() - start
    tx = tx.reshape(len(tx), -1).astype(np.float32) / 255.0
    sx = sx.reshape(len(sx), -1).astype(np.float32) / 255.0
    mean, std = tx.mean(), tx.std()
    tx = (tx - mean) / std
    sx = (sx - mean) / std
    return (tx[:55000], ty[:55000].astype(np.int64), tx[55000:], ty[55000:].astype(np.int64),
            sx, sy.astype(np.int64), load_seconds)


def report(framework, trained, load_seconds, test_accuracy):
    epochs, batches, steps = trained
    print(json.dumps({"framework": framework, "load_seconds": load_seconds,
                      "epoch_seconds": [e["seconds"] for e in epochs],
                      "epoch_cpu_seconds": [e["cpu_seconds"] for e in epochs],
                      "epochs": epochs, "test_accuracy": test_accuracy,
                      "batches": batches, "steps_per_epoch": steps}))

"""The assignment's PyTorch MLP (784-128-10, ReLU, CrossEntropyLoss, SGD 0.1, batch 128), the
speed and accuracy reference for AutoGrad. Runs on the CPU."""
import time

import numpy as np
import torch

import common


def main():
    a = common.parse_args()
    torch.manual_seed(a.seed)
    tx, ty, vx, vy, sx, sy, load_seconds = common.load(a.data_dir)
    tx, ty, vx, vy, sx, sy = map(torch.from_numpy, (tx, ty, vx, vy, sx, sy))
    model = torch.nn.Sequential(torch.nn.Linear(784, a.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(a.hidden, 10))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    epochs = []
    for epoch in range(1, a.epochs + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        order = torch.randperm(len(tx))
        total, count = 0.0, 0
        model.train()
        for i in range(0, len(tx) - a.batch_size + 1, a.batch_size):
            idx = order[i:i + a.batch_size]
            x, y = tx[idx], ty[idx]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            count += len(y)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        model.eval()
        with torch.no_grad():
            va = (model(vx).argmax(1) == vy).float().mean().item()
        epochs.append({"epoch": epoch, "train_loss": float(total / count), "seconds": seconds, "cpu_seconds": cpu_seconds,
                       "val_accuracy": va})
    with torch.no_grad():
        ta = (model(sx).argmax(1) == sy).float().mean().item()
    common.report("pytorch", epochs, load_seconds, ta)


if __name__ == "__main__":
    main()

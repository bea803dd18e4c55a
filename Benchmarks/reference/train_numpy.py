"""The assignment's NumPy MLP (784-128-10, ReLU, softmax cross-entropy, SGD 0.1, batch 128),
written the way a careful NumPy user would, as the speed and accuracy reference."""
import time

import numpy as np

import common


def main():
    a = common.parse_args()
    tx, ty, vx, vy, sx, sy, load_seconds = common.load(a.data_dir)
    rng = np.random.default_rng(a.seed)
    w1 = (rng.standard_normal((a.hidden, 784)) * np.sqrt(1 / 784)).astype(np.float32)
    b1 = np.zeros(a.hidden, np.float32)
    w2 = (rng.standard_normal((10, a.hidden)) * np.sqrt(2 / a.hidden)).astype(np.float32)
    b2 = np.zeros(10, np.float32)

    def forward(x):
        h = np.maximum(x @ w1.T + b1, 0)
        z = h @ w2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return h, e / e.sum(axis=1, keepdims=True)

    epochs = []
    for epoch in range(1, a.epochs + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        order = rng.permutation(len(tx))
        total, count = 0.0, 0
        for i in range(0, len(tx) - a.batch_size + 1, a.batch_size):
            idx = order[i:i + a.batch_size]
            x, y = tx[idx], ty[idx]
            h, p_ = forward(x)
            s = len(y)
            total += -np.log(np.maximum(p_[np.arange(s), y], 1e-12)).sum()
            count += s
            dz = p_.copy()
            dz[np.arange(s), y] -= 1
            dz /= s
            dw2 = dz.T @ h
            db2 = dz.sum(axis=0)
            dh = (dz @ w2) * (h > 0)
            dw1 = dh.T @ x
            db1 = dh.sum(axis=0)
            w1 -= a.lr * dw1; b1 -= a.lr * db1
            w2 -= a.lr * dw2; b2 -= a.lr * db2
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        _, pv = forward(vx)
        epochs.append({"epoch": epoch, "train_loss": float(total / count), "seconds": seconds, "cpu_seconds": cpu_seconds,
                       "val_accuracy": float((pv.argmax(1) == vy).mean())})
    _, ps = forward(sx)
    common.report("numpy", epochs, load_seconds, float((ps.argmax(1) == sy).mean()))


if __name__ == "__main__":
    main()

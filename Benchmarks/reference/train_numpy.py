"""The assignment's NumPy MLP (784-128-10, ReLU, softmax cross-entropy, SGD 0.1, batch 128;
other hidden widths and batch sizes through the options), written the way a careful NumPy
user would, as the speed and accuracy reference. Plain SGD only, no batch norm, as
ArrayKit's hand-written layers."""
import sys

import numpy as np

import common


def main():
    a = common.parse_args()
    if a.optimizer != "sgd" or a.momentum or a.batch_norm:
        sys.exit("train_numpy.py trains with plain SGD and no batch norm")
    tx, ty, vx, vy, sx, sy, load_seconds = common.load(a.data_dir)
    rng = np.random.default_rng(a.seed)
    widths = [784] + a.hidden + [10]
    # std √(1/in) for the input layer, √(2/in) after a ReLU, as Backprop's MLPs
    ws = [(rng.standard_normal((o, i)) * np.sqrt((1 if n == 0 else 2) / i)).astype(np.float32)
          for n, (i, o) in enumerate(zip(widths, widths[1:]))]
    bs = [np.zeros(o, np.float32) for o in widths[1:]]

    def forward(x):
        hs = [x]
        for w, b in zip(ws[:-1], bs[:-1]):
            hs.append(np.maximum(hs[-1] @ w.T + b, 0))
        z = hs[-1] @ ws[-1].T + bs[-1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return hs, e / e.sum(axis=1, keepdims=True)

    def step(x, y):
        hs, p_ = forward(x)
        s = len(y)
        loss = -np.log(np.maximum(p_[np.arange(s), y], 1e-12)).mean()
        dz = p_.copy()
        dz[np.arange(s), y] -= 1
        dz /= s
        for n in reversed(range(len(ws))):
            dw, db = dz.T @ hs[n], dz.sum(axis=0)
            if n > 0:
                dz = (dz @ ws[n]) * (hs[n] > 0)
            ws[n] -= a.lr * dw
            bs[n] -= a.lr * db
        return float(loss)

    def validate():
        return float((forward(vx)[1].argmax(1) == vy).mean())

    trained = common.train(a, tx, ty, step, rng.permutation, validate)
    common.report("numpy", trained, load_seconds, float((forward(sx)[1].argmax(1) == sy).mean()))


if __name__ == "__main__":
    main()

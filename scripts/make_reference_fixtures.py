#!/usr/bin/env python3
"""PyTorch-made reference fixtures for Tests/CrossCheckTests (external truth for both backends).

CI has no torch, so the outputs are committed; rerun this by hand after changing it (values are
reproducible; the header order of `__metadata__` is not, so unchanged fixtures may still show as
modified — keep the committed ones then):

    python3 scripts/make_reference_fixtures.py                 # writes Tests/CrossCheckTests/Fixtures
    python3 scripts/make_reference_fixtures.py double-backward # only double_backward.safetensors
    python3 scripts/make_reference_fixtures.py check-export DIR # loads Swift-written models into torch

Every fixture is a .safetensors file (read in Swift with `Safetensors.read`): float64 where the
Swift side compares Double tightly, float32 where the point is PyTorch's own file layout. The
configuration a test needs (widths, activation, learning rates) travels in `__metadata__`, so this
script is the one place it is written down.

`check-export DIR` is the other direction: `BACKPROP_EXPORT_DIR=DIR swift test --filter
ExportForPyTorch` writes models saved by both backends plus their inputs and logits; this loads each
into the matching `torch.nn.Sequential` with `load_state_dict(strict=True)`, compares logits, and
runs the Python snippets of Docs/Interop.md against the exported `model.safetensors`.
"""
import pathlib
import re
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "CrossCheckTests" / "Fixtures"


def sequential(inputs, hidden, classes, activation, alpha=1.0, batch_norm=False):
    """The model both Swift MLPs mirror: Linear → [BatchNorm1d] → activation …, Linear."""
    layers, width = [], inputs
    for size in hidden:
        layers.append(torch.nn.Linear(width, size))
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(size))
        layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.ELU(alpha=alpha))
        width = size
    layers.append(torch.nn.Linear(width, classes))
    return torch.nn.Sequential(*layers)


def contiguous(tensors):
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


def trained(model, initial, x, labels, make_optimizer, steps):
    """The parameters after `steps` optimizer steps on the same batch, from `initial`."""
    model.load_state_dict(initial)
    optimizer = make_optimizer(model.parameters())
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        optimizer.step()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# Optimizers checked against the autograd backend (plain SGD against both), each for 3 steps.
OPTIMIZERS = {
    "sgd": (dict(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd_nesterov": (dict(lr=0.05, momentum=0.9, nesterov=1, weight_decay=1e-3),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "sgd_dampened": (dict(lr=0.05, momentum=0.9, dampening=0.25, weight_decay=1e-3),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.25, weight_decay=1e-3)),
    "adam": (dict(lr=0.01, weight_decay=1e-2),
             lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=1e-2)),
    "adamw": (dict(lr=0.01, weight_decay=1e-2),
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=1e-2)),
}
STEPS = 3


def make_mlp(name, activation, alpha, dtype, seed):
    inputs, hidden, classes, batch = 12, [10, 8], 5, 6
    torch.manual_seed(seed)
    model = sequential(inputs, hidden, classes, activation, alpha).to(dtype)
    # Non-zero biases, so a backend that ignores a loaded bias fails.
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                layer.bias.uniform_(-0.3, 0.3)
    x = torch.randn(batch, inputs, dtype=dtype) * 1.5
    labels = torch.randint(0, classes, (batch,))
    initial = contiguous(model.state_dict())

    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out = {"x": x, "labels": labels, "logits": logits, "loss": loss}
    out.update({f"initial.{k}": v for k, v in initial.items()})
    out.update({f"grad.{k}": p.grad for k, p in model.named_parameters()})
    metadata = {"inputs": str(inputs), "hidden": ",".join(map(str, hidden)), "classes": str(classes),
                "activation": activation, "alpha": repr(alpha), "steps": str(STEPS)}
    for key, (settings, make) in OPTIMIZERS.items():
        for k, p in trained(model, initial, x, labels, make, STEPS).items():
            out[f"{key}.{k}"] = p
        for setting, value in settings.items():
            metadata[f"{key}.{setting}"] = repr(value)
    save_file(contiguous(out), OUT / name, metadata=metadata)


def make_batch_norm():
    """BatchNorm1d in train mode: output, gradients, running statistics after two batches."""
    dtype, features = torch.float64, 5
    torch.manual_seed(7)
    norm = torch.nn.BatchNorm1d(features, eps=1e-5, momentum=0.1).to(dtype)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    initial = contiguous({"weight": norm.weight, "bias": norm.bias})
    first = (torch.randn(8, features, dtype=dtype) * 2 + 3).requires_grad_()
    second = torch.randn(6, features, dtype=dtype) - 1
    upstream = torch.randn(8, features, dtype=dtype)
    norm.train()
    y = norm(first)
    (y * upstream).sum().backward()
    out = {"weight": initial["weight"], "bias": initial["bias"], "x": first, "x2": second,
           "grad_output": upstream, "output": y, "grad.x": first.grad, "grad.weight": norm.weight.grad,
           "grad.bias": norm.bias.grad, "running_mean.1": norm.running_mean.clone(),
           "running_var.1": norm.running_var.clone()}
    norm(second)
    out.update({"running_mean.2": norm.running_mean, "running_var.2": norm.running_var,
                "num_batches_tracked": norm.num_batches_tracked})
    norm.eval()
    out["eval_output"] = norm(first)
    save_file(contiguous(out), OUT / "batchnorm.safetensors",
              metadata={"eps": "1e-05", "momentum": "0.1", "features": str(features)})


def rates(make_scheduler, steps, momentum=False):
    """get_last_lr() (or the optimizer's momentum) after 0, 1, … steps."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    values = []
    for step in range(steps):
        group = optimizer.param_groups[0]
        values.append(group["momentum"] if momentum else scheduler.get_last_lr()[0])
        if step < steps - 1:
            optimizer.step()
            scheduler.step()
    return torch.tensor(values, dtype=torch.float64)


def make_schedules():
    S = torch.optim.lr_scheduler
    one_cycle = lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=100)
    three_phase = lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=50, pct_start=0.25,
                                         anneal_strategy="linear", three_phase=True)
    out = {
        "step_lr": rates(lambda o: S.StepLR(o, step_size=30, gamma=0.1), 100),
        "exponential_lr": rates(lambda o: S.ExponentialLR(o, gamma=0.95), 50),
        "linear_lr": rates(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=10), 20),
        "cosine_lr": rates(lambda o: S.CosineAnnealingLR(o, T_max=100, eta_min=1e-3), 101),
        "one_cycle_lr": rates(one_cycle, 100),
        "one_cycle_momentum": rates(one_cycle, 100, momentum=True),
        "one_cycle_three_phase_lr": rates(three_phase, 50),
        "one_cycle_three_phase_momentum": rates(three_phase, 50, momentum=True),
    }
    save_file(out, OUT / "schedules.safetensors", metadata={"base_lr": "0.1"})


def make_torch_models():
    """State dicts saved by PyTorch itself (float32, save_file), with a batch and its logits."""
    torch.manual_seed(3)
    x = torch.rand(4, 784)
    plain = sequential(784, [32, 16], 10, "relu")
    save_file(contiguous(plain.state_dict()), OUT / "torch_mlp.safetensors")
    with torch.no_grad():
        save_file({"x": x, "logits": plain(x)}, OUT / "torch_mlp.io.safetensors",
                  metadata={"inputs": "784", "hidden": "32,16", "classes": "10", "activation": "relu"})

    normed = sequential(784, [32], 10, "relu", batch_norm=True)
    optimizer = torch.optim.SGD(normed.parameters(), lr=0.1)
    normed.train()
    for _ in range(3):  # moves the running statistics and the counter off their defaults
        optimizer.zero_grad()
        batch = torch.rand(16, 784)
        torch.nn.functional.cross_entropy(normed(batch), torch.randint(0, 10, (16,))).backward()
        optimizer.step()
    normed.eval()
    save_file(contiguous(normed.state_dict()), OUT / "torch_mlp_bn.safetensors")
    with torch.no_grad():
        save_file({"x": x, "logits": normed(x)}, OUT / "torch_mlp_bn.io.safetensors",
                  metadata={"inputs": "784", "hidden": "32", "classes": "10", "activation": "relu",
                            "batch_norm": "true"})


F = torch.nn.functional
# Fixed integer arguments, written the same in Tests/CrossCheckTests/PyTorchDoubleBackwardTests.swift.
CE_LABELS = [0, 3, 1, 1, 2, 3]
GATHER_ROWS = [2, 0, 2, 3, 2]
MLP_LABELS = [0, 3, 1, 2, 2, 0, 1, 3]
BN_RUNNING_MEAN = [0.3, -0.2, 0.1, 0.5]
BN_RUNNING_VAR = [0.7, 1.4, 0.2, 2.0]


def mlp_relu(w0, b0, w1, b1, x):
    return F.cross_entropy(F.linear(F.relu(F.linear(x, w0, b0)), w1, b1), torch.tensor(MLP_LABELS))


def mlp_elu_batch_norm(w0, gamma, beta, w1, b1, x):
    # No bias before the batch norm: its gradient would be 0 up to rounding (the batch mean
    # removes it), a comparison of noise.
    h = F.batch_norm(F.linear(x, w0), None, None, gamma, beta, training=True, eps=1e-5)
    return F.cross_entropy(F.linear(F.elu(h, alpha=0.7), w1, b1), torch.tensor(MLP_LABELS))


# name, input shapes, inputs positive (for log, sqrt, division), function of the inputs (and of
# the constants, passed after them), constants.
DOUBLE_BACKWARD_CASES = [
    ("add", [[3, 4], [3, 4]], False, lambda a, b: a + b),
    ("add_broadcast", [[3, 4], [4]], False, lambda a, b: a + b),
    ("sub_broadcast", [[4], [3, 4]], False, lambda a, b: a - b),
    ("mul", [[3, 4], [3, 4]], False, lambda a, b: a * b),
    ("mul_broadcast", [[3, 4], [3, 1]], False, lambda a, b: a * b),
    ("mul_self", [[3, 4]], False, lambda a: a * a),
    ("div", [[3, 4], [3, 4]], True, lambda a, b: a / b),
    ("div_broadcast", [[4], [3, 4]], True, lambda a, b: a / b),
    ("neg", [[3, 4]], False, lambda a: -a),
    ("scalar_ops", [[3, 4]], True, lambda a: (a + 2) * (3 - a) + (a * 2.5 - 1.5) / 4 + 3 / a),
    ("matmul", [[3, 4], [4, 5]], False, lambda a, b: a @ b),
    ("matmul_ta", [[4, 3], [4, 5]], False, lambda a, b: a.T @ b),
    ("matmul_tb", [[3, 4], [5, 4]], False, lambda a, b: a @ b.T),
    ("matmul_tab", [[4, 3], [5, 4]], False, lambda a, b: a.T @ b.T),
    ("linear", [[3, 4], [5, 4], [5]], False, lambda x, w, b: F.linear(x, w, b)),
    ("linear_no_bias", [[3, 4], [5, 4]], False, lambda x, w: F.linear(x, w)),
    ("exp", [[3, 4]], False, torch.exp),
    ("log", [[3, 4]], True, torch.log),
    ("pow_3", [[3, 4]], True, lambda a: a ** 3),
    ("pow_half", [[3, 4]], True, lambda a: a ** 0.5),
    ("sqrt", [[3, 4]], True, torch.sqrt),
    ("relu", [[4, 5]], False, F.relu),
    ("elu", [[4, 5]], False, lambda a: F.elu(a, alpha=1.0)),
    ("elu_alpha_0.5", [[4, 5]], False, lambda a: F.elu(a, alpha=0.5)),
    ("tanh", [[4, 5]], False, torch.tanh),
    ("sigmoid", [[4, 5]], False, lambda a: torch.sigmoid(a * 4)),
    ("sum", [[3, 4]], False, lambda a: (a * a).sum()),
    ("sum_axis_0", [[3, 4]], False, lambda a: (a * a).sum(0)),
    ("sum_axis_1_keepdims", [[3, 4]], False, lambda a: (a * a).sum(1, keepdim=True)),
    ("mean", [[3, 4]], False, lambda a: (a * a).mean()),
    ("mean_axis_0_keepdims", [[3, 4]], False, lambda a: (a * a).mean(0, keepdim=True)),
    ("max_axis_1", [[3, 5]], False, lambda a: (a * a).max(1).values),
    ("max_all", [[3, 5]], False, lambda a: (a * a).max()),
    ("reshape", [[3, 4]], False, lambda a: a.reshape(2, 6) * a.reshape(2, -1)),
    ("transpose", [[3, 4]], False, lambda a: a.T * a.T),
    ("transpose_axes", [[2, 3, 4]], False, lambda a: a.permute(1, 2, 0).exp()),
    ("broadcast", [[3, 1]], False, lambda a: a.expand(2, 3, 4).tanh()),
    ("gather_rows", [[4, 3]], False, lambda a: a[GATHER_ROWS].exp()),
    ("log_softmax_axis_1", [[4, 5]], False, lambda a: F.log_softmax(a, dim=1)),
    ("log_softmax_axis_0", [[4, 5]], False, lambda a: F.log_softmax(a, dim=0)),
    ("cross_entropy", [[6, 4]], False, lambda a: F.cross_entropy(a, torch.tensor(CE_LABELS))),
    ("mse", [[3, 4], [3, 4]], False, F.mse_loss),
    ("batch_norm_train", [[6, 4], [4], [4]], False,
     lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)),
    ("batch_norm_train_no_affine", [[5, 3]], False,
     lambda x: F.batch_norm(x, None, None, training=True, eps=1e-5)),
    ("batch_norm_eval", [[6, 4], [4], [4]], False,
     lambda x, w, b: F.batch_norm(x, torch.tensor(BN_RUNNING_MEAN, dtype=torch.float64),
                                  torch.tensor(BN_RUNNING_VAR, dtype=torch.float64), w, b, training=False, eps=1e-5)),
    ("mlp_relu", [[7, 6], [7], [4, 7], [4]], False, mlp_relu, {"x": [8, 6]}),
    ("mlp_elu_batch_norm", [[7, 6], [7], [7], [4, 7], [4]], False, mlp_elu_batch_norm, {"x": [8, 6]}),
]


def make_double_backward():
    """Second derivatives by PyTorch's double backward, for every op AutoGrad records.

    For each case f with inputs x_i, a seed w of f's shape and a direction v_i per input:
    grad.i = ∂⟨f, w⟩/∂x_i, hvp.i = ∂⟨∇⟨f, w⟩, v⟩/∂x_i (a Hessian-vector product) and
    hvp_seed = ∂⟨∇⟨f, w⟩, v⟩/∂w — the first gradient recorded with create_graph=True,
    then differentiated with respect to the inputs and the seed. Inputs are normal draws
    pushed at least 0.05 from zero (away from ReLU's kink; positive ones above 0.2).
    """
    generator = torch.Generator().manual_seed(17)

    def draw(shape, positive=False):
        x = torch.randn(shape, dtype=torch.float64, generator=generator)
        x = x + torch.where(x < 0, -0.05, 0.05)
        return x.abs() + 0.2 if positive else x

    out = {}
    for name, shapes, positive, fn, *rest in DOUBLE_BACKWARD_CASES:
        constants = {key: draw(shape) * 1.5 for key, shape in (rest[0] if rest else {}).items()}
        inputs = [draw(shape, positive).requires_grad_() for shape in shapes]
        y = fn(*inputs, *constants.values())
        seed = draw(list(y.shape)).requires_grad_()
        directions = [draw(list(x.shape)) for x in inputs]
        first = torch.autograd.grad(y, inputs, seed, create_graph=True)
        product = sum((g * v).sum() for g, v in zip(first, directions))
        second = torch.autograd.grad(product, inputs + [seed], allow_unused=True, materialize_grads=True)
        for i, x in enumerate(inputs):
            out[f"{name}.x{i}"] = x
            out[f"{name}.v{i}"] = directions[i]
            out[f"{name}.grad{i}"] = first[i]
            out[f"{name}.hvp{i}"] = second[i]
        out[f"{name}.seed"] = seed
        out[f"{name}.hvp_seed"] = second[-1]
        for key, value in constants.items():
            out[f"{name}.const.{key}"] = value
    save_file(contiguous(out), OUT / "double_backward.safetensors",
              metadata={"torch": torch.__version__, "cases": ",".join(case[0] for case in DOUBLE_BACKWARD_CASES)})


def generate():
    OUT.mkdir(parents=True, exist_ok=True)
    for dtype, suffix in ((torch.float64, ""), (torch.float32, "_f32")):
        make_mlp(f"mlp_relu{suffix}.safetensors", "relu", 1.0, dtype, seed=1)
        make_mlp(f"mlp_elu{suffix}.safetensors", "elu", 0.8, dtype, seed=2)
    make_batch_norm()
    make_schedules()
    make_torch_models()
    make_double_backward()
    for path in sorted(OUT.glob("*.safetensors")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")


def check_export(directory):
    """Loads every Swift-exported model into torch strictly and compares its logits."""
    directory = pathlib.Path(directory)
    worst = 0.0
    for io_path in sorted(directory.glob("*.io.safetensors")):
        model_path = directory / io_path.name.replace(".io.safetensors", ".safetensors")
        with safe_open(str(io_path), "pt") as handle:
            meta = handle.metadata()
        io = load_file(io_path)
        hidden = [int(h) for h in meta["hidden"].split(",") if h]
        model = sequential(int(meta["inputs"]), hidden, int(meta["classes"]), meta["activation"],
                           float(meta.get("alpha", "1.0")), meta.get("batch_norm") == "true")
        state = load_file(model_path)
        print(f"{model_path.name}: keys {list(state)}")
        print("  ", model.load_state_dict(state, strict=True))
        for name, layer in model.named_children():
            if isinstance(layer, torch.nn.BatchNorm1d):
                print(f"   {name}.num_batches_tracked = {layer.num_batches_tracked.item()}")
        model.eval()
        with torch.no_grad():
            logits = model(io["x"])
        difference = ((logits - io["logits"]).abs().max() / io["logits"].abs().max()).item()
        worst = max(worst, difference)
        print(f"   logits max relative difference (to max |logit|): {difference:.3e}")
        assert difference < 1e-5, f"{model_path.name}: torch's logits differ from Swift's"
    print(f"all exported models load strictly; worst logits difference {worst:.3e}")
    run_interop_snippets(directory)


def run_interop_snippets(directory):
    """Runs Docs/Interop.md's ```python blocks in order, in `directory` (needs model.safetensors)."""
    import os
    text = (ROOT / "Docs" / "Interop.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        namespace = {}
        with safe_open("model.safetensors", "np") as handle:
            described = "backprop.architecture" in (handle.metadata() or {})
        ran = 0
        for block in blocks:
            if "backprop.architecture" in block and not (described and pathlib.Path("images.npy").exists()):
                print("Docs/Interop.md: a snippet that needs a training run's model.safetensors and images.npy was "
                      "skipped (ModelFileTests runs it)")
                continue
            exec(compile(block, "Docs/Interop.md", "exec"), namespace)
            ran += 1
    finally:
        os.chdir(cwd)
    print(f"Docs/Interop.md: {ran} of {len(blocks)} python snippets ran")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check-export":
        check_export(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "double-backward":
        make_double_backward()
    elif len(sys.argv) == 1:
        generate()
    else:
        sys.exit(__doc__)

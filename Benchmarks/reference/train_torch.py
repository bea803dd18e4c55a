"""The assignment's PyTorch MLP (784-128-10, ReLU, CrossEntropyLoss, SGD 0.1, batch 128;
other widths, batch sizes, momentum, Adam and BatchNorm1d through the options), the speed
and accuracy reference for AutoGrad. Runs on the CPU."""
import torch

import common


def main():
    a = common.parse_args()
    torch.manual_seed(a.seed)
    tx, ty, vx, vy, sx, sy, load_seconds = common.load(a.data_dir)
    tx, ty, vx, vy, sx, sy = map(torch.from_numpy, (tx, ty, vx, vy, sx, sy))
    layers, width = [], 784
    for size in a.hidden:   # Linear, [BatchNorm1d], ReLU: the order of AutoGrad's MLP
        layers += [torch.nn.Linear(width, size)] + ([torch.nn.BatchNorm1d(size)] if a.batch_norm else [])
        layers.append(torch.nn.ReLU())
        width = size
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
    opt = (torch.optim.Adam(model.parameters(), lr=a.lr) if a.optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def validate():
        model.eval()
        with torch.no_grad():
            accuracy = (model(vx).argmax(1) == vy).float().mean().item()
        model.train()
        return accuracy

    model.train()
    trained = common.train(a, tx, ty, step, torch.randperm, validate)
    model.eval()
    with torch.no_grad():
        ta = (model(sx).argmax(1) == sy).float().mean().item()
    common.report("pytorch", trained, load_seconds, ta)


if __name__ == "__main__":
    main()

"""The perceptron, and why XOR needs a hidden layer.

Rosenblatt's perceptron learns w, b so that sign(w . x + b) matches each label, by nudging w
towards every example it gets wrong. That rule converges whenever a straight line separates the
classes (AND, OR) and never when none does: XOR's positive corners (0,1) and (1,0) sit on a
diagonal, the negative ones on the other. One hidden layer fixes it: two hidden units each draw
a line, and the output combines the two half-planes into a band. The hidden layer is trained
with backpropagation (autograd) since the perceptron rule has no target for hidden units.

    python examples/perceptron_xor.py

Writes ``perceptron_xor.png`` (the decision regions of both models on XOR) into ``--out``.
"""
import argparse
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import trange

import pydl
from pydl import nn

CORNERS = pydl.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = {"AND": [-1, -1, -1, 1], "OR": [-1, 1, 1, 1], "XOR": [-1, 1, 1, -1]}


def train_perceptron(x, y, epochs):
    """The perceptron rule: w += y_i x_i for each misclassified x_i. Returns (w, b, errors per
    epoch); errors reach 0 only if the data are linearly separable."""
    w, b = pydl.zeros(x.shape[1]), pydl.zeros(())
    errors = []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(x, y):
            if yi * (w @ xi + b) <= 0:  # misclassified (or on the line)
                w += yi * xi
                b += yi
                wrong += 1
        errors.append(wrong)
        if wrong == 0:
            break
    return w, b, errors


def train_mlp(x, y, steps, hidden=4, seed=0):
    """A 2-`hidden`-1 tanh network fitted by gradient descent on the squared error."""
    pydl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Tanh())
    optimizer = pydl.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    losses = []
    for _ in trange(steps, desc="MLP on XOR", leave=False):
        loss = ((model(x).squeeze(1) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def plot(predict_perceptron, predict_mlp, y, losses, path):
    grid = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    points = pydl.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, predict, title in ((axes[0], predict_perceptron, "perceptron on XOR: no line works"),
                               (axes[1], predict_mlp, "MLP (one hidden layer) on XOR")):
        with pydl.no_grad():
            regions = predict(points).reshape(xx.shape).numpy()
        ax.contourf(xx, yy, regions, levels=[-2, 0, 2], colors=["#f4b6b6", "#b6d4f4"])
        corners = CORNERS.numpy()
        ax.scatter(corners[:, 0], corners[:, 1], c=["r" if t < 0 else "b" for t in y.tolist()], s=120,
                   edgecolors="k")
        ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    axes[2].plot(losses)
    axes[2].set(title="MLP training loss", xlabel="step", ylabel="mean squared error", yscale="log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="perceptron epochs")
    parser.add_argument("--steps", type=int, default=500, help="MLP gradient steps")
    parser.add_argument("--device", default="cpu", help="accepted for uniformity; four points need no GPU")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--smoke", action="store_true", help="fewer MLP steps, for CI")
    args = parser.parse_args(argv)
    steps = 100 if args.smoke else args.steps

    for name, target in TARGETS.items():
        w, b, errors = train_perceptron(CORNERS, pydl.tensor(target, dtype=pydl.float32), args.epochs)
        verdict = f"converged in {len(errors)} epochs" if errors[-1] == 0 else f"still {errors[-1]} wrong"
        print(f"perceptron on {name:3s}: {verdict}; w = {w.tolist()}, b = {b.item():g}")

    y = pydl.tensor(TARGETS["XOR"], dtype=pydl.float32)
    model, losses = train_mlp(CORNERS, y, steps)
    with pydl.no_grad():
        outputs = model(CORNERS).squeeze(1)
    print(f"MLP on XOR: outputs {[round(v, 2) for v in outputs.tolist()]} for targets {y.tolist()}; "
          f"final loss {losses[-1]:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    plot(lambda p: (p @ w + b).sign(), lambda p: model(p).squeeze(1), y, losses, args.out / "perceptron_xor.png")
    print(f"plot: {args.out / 'perceptron_xor.png'}")
    return {"train_loss": losses, "xor_solved": bool(((outputs > 0) == (y > 0)).all().item())}


if __name__ == "__main__":
    main()

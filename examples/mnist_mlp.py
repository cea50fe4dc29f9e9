"""Train a multilayer perceptron (784-256-10) on MNIST.

The first network of every course: flatten each 28 x 28 image into 784 numbers, one hidden
layer of 256 ReLU units, 10 output logits, cross-entropy loss, SGD with momentum. Backprop
computes every weight's gradient; the optimizer follows it. On the bundled subset (4,000
training digits) it reaches about 93-94 % test accuracy in a few seconds.

    python examples/mnist_mlp.py [--epochs 20] [--hidden 256]

Writes ``mnist_mlp.png`` (loss curves and a few misclassified digits) into ``--out``.
"""
import argparse
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import tqdm

import pydl
from pydl import nn
from pydl.datasets import MNIST
from pydl.utils.data import DataLoader, TensorDataset


def mnist_flat(root, train, limit=None):
    """MNIST images flattened to 784 features scaled to [0, 1], with their labels."""
    ds = MNIST(root=root, train=train)
    return TensorDataset(ds.data[:limit].reshape(-1, 784).float() / 255, ds.targets[:limit])


def mlp(hidden):
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def plot(history, images, labels, predicted, path):
    fig = plt.figure(figsize=(11, 4))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(history["train_loss"], lw=0.8, label="train (per batch)")
    steps_per_epoch = len(history["train_loss"]) // max(1, len(history["test_loss"]))
    ax.plot([steps_per_epoch * (i + 1) for i in range(len(history["test_loss"]))], history["test_loss"], "o-",
            label="test")
    ax.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="MLP loss")
    ax.legend()
    for i in range(min(8, len(images))):  # the digits it gets wrong teach more than the curve
        sub = fig.add_subplot(2, 8, 8 * (i // 4) + 5 + i % 4)
        sub.imshow(images[i].reshape(28, 28), cmap="gray")
        sub.set_title(f"{labels[i]} -> {predicted[i]}", fontsize=9)
        sub.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--root", default=None, help="folder with MNIST's IDX files (default: bundled subset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few hundred digits, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    limit = 512 if args.smoke else None
    epochs = 2 if args.smoke else args.epochs
    train_set, test_set = mnist_flat(args.root, True, limit), mnist_flat(args.root, False, limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    model = mlp(args.hidden).to(args.device)
    optimizer = pydl.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    x_test, y_test = (t.to(args.device) for t in test_set.tensors)

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for x, y in bar:
            loss = loss_fn(model(x.to(args.device)), y.to(args.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        with pydl.no_grad():
            logits = model(x_test)
            history["test_loss"].append(loss_fn(logits, y_test).item())
            predicted = logits.argmax(1)
            history["test_acc"].append((predicted == y_test).float().mean().item())
        tqdm.write(f"epoch {epoch:2d}  test loss {history['test_loss'][-1]:.4f}  "
                   f"test accuracy {100 * history['test_acc'][-1]:.2f} %")
    seconds = time.perf_counter() - start

    wrong = (predicted != y_test).nonzero().flatten()[:8]
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, x_test[wrong].cpu().numpy(), y_test[wrong].tolist(), predicted[wrong].tolist(),
         args.out / "mnist_mlp.png")
    print(f"MLP 784-{args.hidden}-10: {100 * history['test_acc'][-1]:.2f} % test accuracy on {len(test_set)} "
          f"digits after {epochs} epochs in {seconds:.1f} s ({args.device}); plot: {args.out / 'mnist_mlp.png'}")
    return history


if __name__ == "__main__":
    main()

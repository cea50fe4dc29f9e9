"""Train LeNet-5 on MNIST: the README's main job.

LeNet-5 (LeCun et al., 1998) is the CNN that started it all: two convolution + pooling stages
learn local features (strokes, then parts of digits), and three fully connected layers classify
them. On the bundled MNIST subset (4,000 training and 1,000 test digits, no download needed) it
reaches about 97-98 % test accuracy in a few seconds on two CPU cores.

    python examples/mnist_lenet.py                 # bundled subset
    python examples/mnist_lenet.py --root ~/data   # the full MNIST, if its IDX files are there

Writes ``mnist_lenet.png`` (loss and accuracy curves) into ``--out``.
"""
import argparse
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")  # no display needed: the plot goes to a file
import matplotlib.pyplot as plt
from tqdm import tqdm

import pydl
from pydl import nn
from pydl.datasets import MNIST
from pydl.utils.data import DataLoader, TensorDataset

MEAN, STD = 0.1307, 0.3081  # of the MNIST training pixels, the usual normalisation


def lenet5():
    """LeNet-5 with ReLU and max pooling (the modern reading of the 1998 network)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 6 x 14 x 14
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),             # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def mnist_tensors(root, train, limit=None):
    """MNIST as one normalised float tensor (N, 1, 28, 28) and its labels: the subset is small
    enough to preprocess once instead of per sample."""
    ds = MNIST(root=root, train=train)
    images, labels = ds.data[:limit], ds.targets[:limit]
    images = (images.float() / 255 - MEAN) / STD
    return TensorDataset(images.unsqueeze(1), labels)


def evaluate(model, loader, device):
    """Mean cross-entropy and accuracy of `model` over `loader`."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with pydl.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    model.train()
    return total_loss / count, correct / count


def plot(history, path):
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(history["step"], history["train_loss"], lw=0.8, label="train (per batch)")
    ax_loss.plot(history["epoch_step"], history["test_loss"], "o-", label="test")
    ax_loss.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="LeNet-5 loss")
    ax_loss.legend()
    ax_acc.plot(range(1, len(history["test_acc"]) + 1), [100 * a for a in history["test_acc"]], "o-")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="LeNet-5 test accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--root", default=None, help="folder with MNIST's IDX files (default: bundled subset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few hundred digits, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    limit = 512 if args.smoke else None
    epochs = 2 if args.smoke else args.epochs
    train_set, test_set = mnist_tensors(args.root, True, limit), mnist_tensors(args.root, False, limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=500)

    model = lenet5().to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = pydl.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    history = {key: [] for key in ("step", "train_loss", "epoch_step", "test_loss", "test_acc")}

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for x, y in bar:
            x, y = x.to(args.device), y.to(args.device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            history["step"].append(len(history["step"]))
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        test_loss, test_acc = evaluate(model, test_loader, args.device)
        history["epoch_step"].append(len(history["step"]))
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        tqdm.write(f"epoch {epoch:2d}  test loss {test_loss:.4f}  test accuracy {100 * test_acc:.2f} %")
    seconds = time.perf_counter() - start

    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, args.out / "mnist_lenet.png")
    print(f"LeNet-5: {100 * history['test_acc'][-1]:.2f} % test accuracy on {len(test_set)} digits "
          f"after {epochs} epochs in {seconds:.1f} s ({args.device}); plot: {args.out / 'mnist_lenet.png'}")
    return history


if __name__ == "__main__":
    main()

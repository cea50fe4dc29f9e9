"""A small ResNet on MNIST, with the tricks that make deep nets train: skip connections,
BatchNorm, dropout, weight decay, data augmentation and early stopping.

- Skip connections (He et al., 2015): each block computes x + F(x), so gradients reach early
  layers through the identity path and extra blocks can at worst learn F = 0.
- BatchNorm normalises each channel over the batch, which keeps activations well scaled and
  allows larger learning rates; in eval mode it uses running statistics instead.
- Dropout and weight decay (AdamW's decoupled form) regularise; random crops of the padded
  digits (augmentation) show the net shifted copies, so it cannot memorise pixel positions.
- Early stopping holds out 10 % of the training digits and keeps the weights of the epoch with
  the best validation loss, stopping once it has not improved for ``--patience`` epochs.

    python examples/mnist_resnet.py [--epochs 8] [--patience 4]

Writes ``mnist_resnet.png`` (train/validation curves, best epoch marked) into ``--out``.
"""
import argparse
import copy
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import tqdm

import pydl
from pydl import nn
from pydl.datasets import MNIST, transforms
from pydl.utils.data import DataLoader, Subset, random_split

MEAN, STD = 0.1307, 0.3081


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input; a 1x1 strided conv matches shapes when the block
    downsamples or widens."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = nn.functional.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return nn.functional.relu(out + self.shortcut(x))


def resnet_mini(width=16, dropout=0.2):
    """Stem, three stages (28x28, 14x14, 7x7), global average pooling, dropout, classifier."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        ResidualBlock(width, width),
        ResidualBlock(width, 2 * width, stride=2),
        ResidualBlock(2 * width, 4 * width, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(4 * width, 10),
    )


def evaluate(model, loader, device):
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


def plot(history, best_epoch, path):
    epochs = range(1, len(history["val_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["epoch_train_loss"], "o-", label="train")
    ax_loss.plot(epochs, history["val_loss"], "o-", label="validation")
    ax_acc.plot(epochs, [100 * a for a in history["val_acc"]], "o-", label="validation")
    for ax in (ax_loss, ax_acc):
        ax.axvline(best_epoch, color="gray", ls="--", label=f"best epoch ({best_epoch})")
        ax.set(xlabel="epoch")
        ax.legend()
    ax_loss.set(ylabel="cross-entropy", title="ResNet-mini loss")
    ax_acc.set(ylabel="accuracy (%)", title="ResNet-mini validation accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=4, help="epochs without improvement before stopping")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--root", default=None, help="folder with MNIST's IDX files (default: bundled subset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few hundred digits, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    normalize = [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]
    augmented = MNIST(root=args.root, train=True,
                      transform=transforms.Compose([transforms.RandomCrop(28, padding=2)] + normalize))
    plain = MNIST(root=args.root, train=True, transform=transforms.Compose(normalize))
    test_set = MNIST(root=args.root, train=False, transform=transforms.Compose(normalize))
    n = 512 if args.smoke else len(augmented)
    train_idx, val_idx = random_split(range(n), [0.9, 0.1], generator=pydl.Generator().manual_seed(args.seed))
    # The same split of two views of the data: augmented digits to train on, plain ones to validate.
    train_loader = DataLoader(Subset(augmented, list(train_idx)), batch_size=args.batch_size, shuffle=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    val_loader = DataLoader(Subset(plain, list(val_idx)), batch_size=500)
    test_loader = DataLoader(Subset(test_set, range(min(n, len(test_set)))), batch_size=500)

    model = resnet_mini().to(args.device)
    optimizer = pydl.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    epochs = 2 if args.smoke else args.epochs
    scheduler = pydl.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=epochs,
                                                   steps_per_epoch=len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    history = {key: [] for key in ("train_loss", "epoch_train_loss", "val_loss", "val_acc")}
    best = (float("inf"), 0, None)  # (validation loss, epoch, state_dict)

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for x, y in bar:
            loss = loss_fn(model(x.to(args.device)), y.to(args.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        steps = len(train_loader)
        history["epoch_train_loss"].append(sum(history["train_loss"][-steps:]) / steps)
        val_loss, val_acc = evaluate(model, val_loader, args.device)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        tqdm.write(f"epoch {epoch:2d}  validation loss {val_loss:.4f}  accuracy {100 * val_acc:.2f} %")
        if val_loss < best[0]:
            best = (val_loss, epoch, copy.deepcopy(model.state_dict()))
        elif epoch - best[1] >= args.patience:
            tqdm.write(f"early stop: no improvement since epoch {best[1]}")
            break
    seconds = time.perf_counter() - start

    model.load_state_dict(best[2])  # early stopping keeps the best epoch's weights
    test_loss, test_acc = evaluate(model, test_loader, args.device)
    history["test_acc"] = [test_acc]
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, best[1], args.out / "mnist_resnet.png")
    print(f"ResNet-mini: {100 * test_acc:.2f} % test accuracy (weights of epoch {best[1]}) in {seconds:.1f} s "
          f"({args.device}); plot: {args.out / 'mnist_resnet.png'}")
    return history


if __name__ == "__main__":
    main()

"""Train an autoencoder on MNIST: compress each digit to 32 numbers and rebuild it.

An autoencoder is two networks trained as one. The encoder (784-256-32) squeezes a 28 x 28
image through a 32-unit bottleneck; the decoder (32-256-784, sigmoid output) turns that code
back into pixels. The target is the input itself, so no labels are needed: the loss is the
binary cross-entropy between each reconstructed pixel and the original one in [0, 1]. Because
32 numbers cannot store 784 pixels verbatim, the network has to learn what digits have in
common (strokes, loops, typical shapes) and keep only what tells one digit from another, the
same idea as PCA but non-linear. On the bundled subset (4,000 training digits) the test loss
falls to about 0.095 per pixel in a few seconds on two CPU cores (not towards 0: against grey
edge pixels even a perfect copy scores their entropy, about 0.06 here), and the reconstructions
are blurry but clearly the same digits.

    python examples/mnist_autoencoder.py [--epochs 20] [--latent 32]

Writes ``mnist_autoencoder.png`` (loss curves, and test digits above their reconstructions)
into ``--out``.
"""
import argparse
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import pydl
from pydl import nn
from pydl.datasets import MNIST
from pydl.utils.data import DataLoader, TensorDataset


def mnist_flat(root, train, limit=None):
    """MNIST images flattened to 784 pixels in [0, 1]; the images are their own targets."""
    ds = MNIST(root=root, train=train)
    return TensorDataset(ds.data[:limit].reshape(-1, 784).float() / 255)


def autoencoder(latent):
    encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, latent))
    decoder = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())
    return nn.Sequential(encoder, decoder)


def mosaic(images, rows, cols):
    """Tile `rows * cols` 28 x 28 images (a NumPy array of shape (rows * cols, 784)) into one picture."""
    return images[:rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def plot(history, originals, reconstructions, latent, path):
    fig, (ax, ax_digits) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": (1, 1.4)})
    ax.plot(history["train_loss"], lw=0.8, label="train (per batch)")
    steps_per_epoch = len(history["train_loss"]) // max(1, len(history["test_loss"]))
    ax.plot([steps_per_epoch * (i + 1) for i in range(len(history["test_loss"]))], history["test_loss"], "o-",
            label="test")
    ax.set(xlabel="step", ylabel="binary cross-entropy per pixel", yscale="log", title="Autoencoder loss")
    ax.legend()
    pairs = np.concatenate([originals[:10], reconstructions[:10]])  # top row: test digits; bottom: rebuilt
    ax_digits.imshow(mosaic(pairs, 2, 10), cmap="gray", vmin=0, vmax=1)
    ax_digits.set(xticks=[], yticks=[14, 42], yticklabels=["test digit", "reconstructed"],
                  title=f"Test digits through a {latent}-number code")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent", type=int, default=32, help="size of the bottleneck code")
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
    train_set, test_set = mnist_flat(args.root, True, limit), mnist_flat(args.root, False, limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    model = autoencoder(args.latent).to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.BCELoss()  # mean over pixels: each output is the probability that a pixel is ink
    history = {"train_loss": [], "test_loss": []}
    x_test = test_set.tensors[0].to(args.device)

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for (x,) in bar:
            x = x.to(args.device)
            loss = loss_fn(model(x), x)  # the input is the target
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}")
        model.eval()
        with pydl.no_grad():
            reconstructed = model(x_test)
            history["test_loss"].append(loss_fn(reconstructed, x_test).item())
        model.train()
        tqdm.write(f"epoch {epoch:2d}  test loss {history['test_loss'][-1]:.4f} per pixel")
    seconds = time.perf_counter() - start

    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, x_test[:10].cpu().numpy(), reconstructed[:10].cpu().numpy(), args.latent,
         args.out / "mnist_autoencoder.png")
    print(f"Autoencoder 784-256-{args.latent}-256-784: test loss {history['test_loss'][-1]:.4f} per pixel on "
          f"{len(test_set)} digits after {epochs} epochs in {seconds:.1f} s ({args.device}); "
          f"plot: {args.out / 'mnist_autoencoder.png'}")
    return history


if __name__ == "__main__":
    main()

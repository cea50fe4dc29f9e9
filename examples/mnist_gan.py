"""Train a small DCGAN on MNIST: a generator learns to draw digits by fooling a discriminator.

A generative adversarial network (Goodfellow et al., 2014) is a two-player game. The generator
G turns 64 random numbers z ~ N(0, I) into a 28 x 28 image; the discriminator D looks at an
image and outputs one logit, "real digit" versus "made by G". Each step trains both in turn:

- D step: binary cross-entropy with label 1 on a batch of real digits and label 0 on a batch
  of fakes (``G(z).detach()``: this step must not change G);
- G step: the same loss on fresh fakes, but with label 1, so G moves whichever way makes D
  call its images real (the "non-saturating" loss, whose gradient stays useful when D wins).

Neither loss goes to zero. At the game's ideal balance D cannot tell the two apart: its loss
(real plus fake) is log 4 ~ 1.39 and G's is log 2 ~ 0.69. In practice D stays a little ahead
(here both end near 1.1) and the curves mostly say that neither side has won;
what improves is the images. (The D loss does drop in the first steps, while G is still
drawing noise and D learns to spot it; that is what ``--smoke`` checks.) The
architecture follows DCGAN (Radford et al., 2015): G upsamples with strided transposed
convolutions (Linear -> 64 x 7 x 7 -> 32 x 14 x 14 -> 1 x 28 x 28) with BatchNorm and ReLU and
a Tanh output, so the pixels are scaled to [-1, 1]; D downsamples with strided convolutions
and LeakyReLU(0.2); both use Adam with beta1 = 0.5. DCGAN's learning rate of 2e-4 needs tens
of thousands of steps; this run has about 1,500 (25 epochs of the bundled 4,000-digit subset),
so it uses 1e-3, which these two small networks tolerate. Recognisable digits, a little ragged,
come out in under a minute on two CPU cores.

    python examples/mnist_gan.py [--epochs 25] [--lr 1e-3]

Writes ``mnist_gan.png`` (the D and G losses, and an 8 x 8 grid of digits generated from a
fixed batch of noise) into ``--out``.
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


def mnist_images(root, train, limit=None):
    """MNIST images (N, 1, 28, 28) scaled to [-1, 1], the range of the generator's Tanh; no labels."""
    ds = MNIST(root=root, train=train)
    return TensorDataset((ds.data[:limit].float() / 127.5 - 1).unsqueeze(1))


def generator(latent, channels=32):
    return nn.Sequential(
        nn.Linear(latent, 2 * channels * 7 * 7), nn.BatchNorm1d(2 * channels * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * channels, 7, 7)),                                                        # 64 x 7 x 7
        nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
        nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1), nn.Tanh(),                           # 1 x 28 x 28
    )


def discriminator(channels=32):
    return nn.Sequential(
        nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),                         # 32 x 14 x 14
        nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),              # 64 x 7 x 7
        nn.Flatten(),
        nn.Linear(2 * channels * 7 * 7, 1),  # a logit: BCEWithLogitsLoss applies the sigmoid stably
    )


def mosaic(images, rows, cols):
    """Tile `rows * cols` 28 x 28 images (a NumPy array of shape (rows * cols, 1, 28, 28)) into one picture."""
    return images[:rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def smooth(values, width=25):
    """Moving average, to see the trend through the per-batch noise of a GAN's losses."""
    width = max(1, min(width, len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid")


def plot(history, samples, path):
    fig, (ax, ax_samples) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": (1.4, 1)})
    for key, name, color in (("train_loss", "discriminator", "C0"), ("g_loss", "generator", "C1")):
        ax.plot(history[key], lw=0.5, alpha=0.3, color=color)
        ax.plot(np.arange(len(smooth(history[key]))) + len(history[key]) - len(smooth(history[key])),
                smooth(history[key]), color=color, label=f"{name} (moving average)")
    ax.axhline(np.log(4), color="C0", ls=":", lw=1, label="log 4: D cannot tell")
    ax.axhline(np.log(2), color="C1", ls=":", lw=1, label="log 2")
    ax.set(xlabel="step", ylabel="binary cross-entropy", ylim=(0, 5), title="GAN losses")
    ax.legend(fontsize=8)
    ax_samples.imshow(mosaic(samples, 8, 8), cmap="gray", vmin=-1, vmax=1)
    ax_samples.set(xticks=[], yticks=[], title="G(z) for a fixed batch of noise")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent", type=int, default=64, help="size of the noise vector z")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--root", default=None, help="folder with MNIST's IDX files (default: bundled subset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few hundred digits, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    limit = 512 if args.smoke else None
    epochs = 2 if args.smoke else args.epochs
    train_set = mnist_images(args.root, True, limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    G, D = generator(args.latent).to(args.device), discriminator().to(args.device)
    opt_g = pydl.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))  # beta1 = 0.5: DCGAN's choice,
    opt_d = pydl.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))  # less momentum in a moving game
    loss_fn = nn.BCEWithLogitsLoss()
    history = {"train_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    z_fixed = pydl.randn(64, args.latent, generator=pydl.Generator().manual_seed(args.seed)).to(args.device)
    real_label = pydl.ones(args.batch_size, 1, device=args.device)
    fake_label = pydl.zeros(args.batch_size, 1, device=args.device)

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for (real,) in bar:
            real = real.to(args.device)
            fake = G(pydl.randn(len(real), args.latent, device=args.device))

            # D step: real digits -> 1, fakes -> 0; detach() keeps this loss from reaching G
            logits_real, logits_fake = D(real), D(fake.detach())
            d_loss = loss_fn(logits_real, real_label) + loss_fn(logits_fake, fake_label)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()

            # G step: ask the (just updated) D to call the fakes real; only G's optimizer steps
            g_loss = loss_fn(D(fake), real_label)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()

            history["train_loss"].append(d_loss.item())
            history["g_loss"].append(g_loss.item())
            history["d_real"].append(logits_real.sigmoid().mean().item())  # D's belief that real is real
            history["d_fake"].append(logits_fake.sigmoid().mean().item())  # ... and that a fake is real
            bar.set_postfix(d_loss=f"{history['train_loss'][-1]:.3f}", g_loss=f"{history['g_loss'][-1]:.3f}")
        n = len(train_loader)
        tqdm.write(f"epoch {epoch:2d}  D loss {np.mean(history['train_loss'][-n:]):.3f}  "
                   f"G loss {np.mean(history['g_loss'][-n:]):.3f}  D(real) {np.mean(history['d_real'][-n:]):.2f}  "
                   f"D(fake) {np.mean(history['d_fake'][-n:]):.2f}")
    seconds = time.perf_counter() - start

    G.eval()  # BatchNorm uses its running statistics: a sample no longer depends on the rest of its batch
    with pydl.no_grad():
        samples = G(z_fixed)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, samples.cpu().numpy(), args.out / "mnist_gan.png")
    n = len(train_loader)
    print(f"DCGAN: D loss {np.mean(history['train_loss'][-n:]):.3f}, G loss {np.mean(history['g_loss'][-n:]):.3f} "
          f"(last epoch's mean) after {epochs} epochs on {len(train_set)} digits in {seconds:.1f} s ({args.device}); "
          f"samples: {args.out / 'mnist_gan.png'}")
    return history


if __name__ == "__main__":
    main()

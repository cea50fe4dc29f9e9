"""Train a variational autoencoder (VAE) on MNIST, then draw new digits from it.

A plain autoencoder maps each digit to one point; nothing says what lies between the points,
so decoding a random code gives noise. A VAE (Kingma & Welling, 2013) makes the code a
distribution: the encoder (784-400) outputs a mean ``mu`` and a log-variance ``logvar`` for
each of the 20 latent numbers, a code is *sampled* from N(mu, exp(logvar)), and the decoder
(20-400-784, sigmoid) turns it back into pixels. The loss per digit is the negative ELBO:

- reconstruction: binary cross-entropy summed over the 784 pixels (how well the digit comes back);
- KL divergence of N(mu, exp(logvar)) from N(0, I), in closed form
  ``-0.5 * sum(1 + logvar - mu**2 - exp(logvar))``, which pulls every code towards the standard
  normal so that the whole of N(0, I) decodes to plausible digits.

Sampling is not differentiable, so the *reparameterisation trick* moves the randomness out of
the way: ``z = mu + exp(0.5 * logvar) * eps`` with ``eps ~ N(0, I)``; gradients then flow to
``mu`` and ``logvar`` through ordinary multiplication and addition. After training, decoding
z ~ N(0, I) generates new digits. On the bundled subset (4,000 training digits) the test loss
falls to about 113 nats per digit (roughly 88 reconstruction + 25 KL) in about ten seconds on
two CPU cores; the samples are blurrier than the reconstructions, but mostly readable digits.

    python examples/mnist_vae.py [--epochs 50] [--latent 20]

Writes ``mnist_vae.png`` (loss curves, an 8 x 8 grid of digits decoded from z ~ N(0, I), and
test digits next to their reconstructions) into ``--out``.
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


class VAE(nn.Module):
    def __init__(self, latent, hidden=400):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)  # log of the variance: any real number is valid
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def forward(self, x):
        mu, logvar = self.encode(x)
        # the reparameterisation trick: the noise eps is an input, so z is differentiable in mu and logvar
        z = mu + (0.5 * logvar).exp() * pydl.randn_like(mu)
        return self.decoder(z), mu, logvar


def vae_loss(x, reconstruction, mu, logvar):
    """Reconstruction and KL terms of the negative ELBO, each summed over a digit and averaged
    over the batch (nats per digit)."""
    n = len(x)
    recon = nn.functional.binary_cross_entropy(reconstruction, x, reduction="sum") / n
    kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum() / n
    return recon, kl


def mosaic(images, rows, cols):
    """Tile `rows * cols` 28 x 28 images (a NumPy array of shape (rows * cols, 784)) into one picture."""
    return images[:rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def plot(history, samples, originals, reconstructions, path):
    fig, (ax, ax_samples, ax_recon) = plt.subplots(1, 3, figsize=(14, 4.5), gridspec_kw={"width_ratios": (1.3, 1, 1)})
    steps_per_epoch = len(history["train_loss"]) // max(1, len(history["test_loss"]))
    epoch_steps = [steps_per_epoch * (i + 1) for i in range(len(history["test_loss"]))]
    ax.plot(history["train_loss"], lw=0.8, label="train total (per batch)")
    ax.plot(history["train_recon"], lw=0.8, label="train reconstruction")
    ax.plot(history["train_kl"], lw=0.8, label="train KL")
    ax.plot(epoch_steps, history["test_loss"], "o-", ms=3, label="test total")
    ax.set(xlabel="step", ylabel="nats per digit", ylim=(0, 250), title="VAE loss = reconstruction + KL")
    ax.legend(fontsize=8)
    ax_samples.imshow(mosaic(samples, 8, 8), cmap="gray", vmin=0, vmax=1)
    ax_samples.set(xticks=[], yticks=[], title="decoded from z ~ N(0, I)")
    pairs = np.stack([originals[:32].reshape(4, 8, 784), reconstructions[:32].reshape(4, 8, 784)], 1)
    ax_recon.imshow(mosaic(pairs.reshape(64, 784), 8, 8), cmap="gray", vmin=0, vmax=1)  # rows alternate
    ax_recon.set(xticks=[], yticks=[], title="test digits (odd rows), reconstructed (even rows)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent", type=int, default=20, help="number of latent dimensions")
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
    train_set, test_set = mnist_flat(args.root, True, limit), mnist_flat(args.root, False, limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=pydl.Generator().manual_seed(args.seed))
    model = VAE(args.latent).to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    history = {key: [] for key in ("train_loss", "train_recon", "train_kl", "test_loss", "test_recon", "test_kl")}
    x_test = test_set.tensors[0].to(args.device)
    z_fixed = pydl.randn(64, args.latent, generator=pydl.Generator().manual_seed(args.seed)).to(args.device)

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for (x,) in bar:
            x = x.to(args.device)
            recon, kl = vae_loss(x, *model(x))
            loss = recon + kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["train_loss"].append(loss.item())
            history["train_recon"].append(recon.item())
            history["train_kl"].append(kl.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.1f}", kl=f"{history['train_kl'][-1]:.1f}")
        with pydl.no_grad():  # the same (sampled) negative ELBO on the test digits
            recon, kl = vae_loss(x_test, *model(x_test))
            for key, value in (("test_loss", recon + kl), ("test_recon", recon), ("test_kl", kl)):
                history[key].append(value.item())
        tqdm.write(f"epoch {epoch:2d}  test loss {history['test_loss'][-1]:6.2f} nats per digit  "
                   f"(reconstruction {history['test_recon'][-1]:6.2f} + KL {history['test_kl'][-1]:5.2f})")
    seconds = time.perf_counter() - start

    with pydl.no_grad():
        samples = model.decoder(z_fixed)  # brand-new digits: codes from the prior, not from any image
        reconstructed = model.decoder(model.encode(x_test[:32])[0])  # decode each test digit's mean code
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, samples.cpu().numpy(), x_test[:32].cpu().numpy(), reconstructed.cpu().numpy(),
         args.out / "mnist_vae.png")
    print(f"VAE 784-400-{args.latent}-400-784: test loss {history['test_loss'][-1]:.2f} nats per digit "
          f"(reconstruction {history['test_recon'][-1]:.2f} + KL {history['test_kl'][-1]:.2f}) on {len(test_set)} "
          f"digits after {epochs} epochs in {seconds:.1f} s ({args.device}); plot: {args.out / 'mnist_vae.png'}")
    return history


if __name__ == "__main__":
    main()

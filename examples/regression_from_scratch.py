"""Linear and logistic regression from scratch: raw tensors and autograd, no nn, no optim.

The first exercises of a deep-learning course, written the way they are taught:

1. Linear regression: fit y = w x + b to noisy points by gradient descent on the mean squared
   error. `loss.backward()` fills `w.grad` and `b.grad`; the update is written out by hand.
2. Logistic (softmax) regression on MNIST: one weight matrix (784 x 10), logits = x W + b, the
   cross-entropy written out as log-sum-exp minus the true class's logit. About 88-90 % test
   accuracy on the bundled subset: a linear model is a good baseline and a poor digit reader.

    python examples/regression_from_scratch.py

Writes ``regression_from_scratch.png`` (the fitted line, both loss curves and the learned
weight templates of each digit) into ``--out``.
"""
import argparse
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import trange

import pydl
from pydl.datasets import MNIST


def linear_regression(steps, lr=0.1, seed=0):
    """Fits y = 3x - 1 (+ noise) with gradient descent; returns x, y, w, b and the losses."""
    g = pydl.Generator().manual_seed(seed)
    x = pydl.rand(200, generator=g) * 2 - 1
    y = 3 * x - 1 + 0.3 * pydl.randn(200, generator=g)
    w = pydl.zeros((), requires_grad=True)
    b = pydl.zeros((), requires_grad=True)
    losses = []
    for _ in trange(steps, desc="linear regression", leave=False):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with pydl.no_grad():  # the update itself must not be recorded for autograd
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()  # gradients accumulate: clear them for the next step
        b.grad.zero_()
        losses.append(loss.item())
    return x, y, w.detach(), b.detach(), losses


def cross_entropy(logits, labels):
    """-log softmax(logits)[label], averaged: log-sum-exp (shifted by the max, so exp never
    overflows) minus the logit of the true class."""
    shift = logits.max(dim=1, keepdim=True).values.detach()
    log_norm = (logits - shift).exp().sum(dim=1).log() + shift.squeeze(1)
    return (log_norm - logits.gather(1, labels.unsqueeze(1)).squeeze(1)).mean()


def logistic_regression(root, epochs, batch_size=100, lr=0.5, limit=None, seed=0):
    """Softmax regression on MNIST with mini-batch SGD; returns W, the losses and test accuracy."""
    train, test = MNIST(root=root, train=True), MNIST(root=root, train=False)
    x = train.data[:limit].reshape(-1, 784).float() / 255
    y = train.targets[:limit]
    W = pydl.zeros(784, 10, requires_grad=True)
    b = pydl.zeros(10, requires_grad=True)
    g = pydl.Generator().manual_seed(seed)
    losses = []
    for _ in trange(epochs, desc="logistic regression", leave=False):
        order = pydl.randperm(len(x), generator=g)
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss = cross_entropy(x[batch] @ W + b, y[batch])
            loss.backward()
            with pydl.no_grad():
                W -= lr * W.grad
                b -= lr * b.grad
            W.grad = None  # the other way to clear a gradient
            b.grad = None
            losses.append(loss.item())
    with pydl.no_grad():
        predicted = (test.data[:limit].reshape(-1, 784).float() / 255 @ W + b).argmax(1)
        accuracy = (predicted == test.targets[:limit]).float().mean().item()
    return W.detach(), losses, accuracy


def plot(linear, logistic_losses, W, path):
    x, y, w, b, losses = linear
    fig = plt.figure(figsize=(13, 6.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2, 1])
    ax_fit, ax_linear, ax_logistic = top.subplots(1, 3)
    ax_fit.scatter(x.numpy(), y.numpy(), s=6, alpha=0.6)
    ax_fit.plot([-1, 1], [b.item() - w.item(), b.item() + w.item()], "r",
                label=f"y = {w.item():.2f}x {b.item():+.2f}")
    ax_fit.set(title="linear regression", xlabel="x", ylabel="y")
    ax_fit.legend()
    ax_linear.plot(losses)
    ax_linear.set(title="linear regression loss", xlabel="step", ylabel="MSE", yscale="log")
    ax_logistic.plot(logistic_losses, lw=0.8)
    ax_logistic.set(title="logistic regression loss", xlabel="step", ylabel="cross-entropy")
    # Each column of W is what the model "looks for" in that digit: red pixels vote for it.
    templates = W.numpy()
    scale = abs(templates).max()
    bottom.suptitle("logistic regression weights per digit (red: evidence for, blue: against)")
    for digit, ax in enumerate(bottom.subplots(1, 10)):
        ax.imshow(templates[:, digit].reshape(28, 28), cmap="seismic", vmin=-scale, vmax=scale)
        ax.set_title(str(digit), fontsize=9)
        ax.axis("off")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="logistic regression epochs")
    parser.add_argument("--steps", type=int, default=100, help="linear regression steps")
    parser.add_argument("--device", default="cpu", help="accepted for uniformity; these models are tiny")
    parser.add_argument("--root", default=None, help="folder with MNIST's IDX files (default: bundled subset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--smoke", action="store_true", help="a few steps on a few hundred digits, for CI")
    args = parser.parse_args(argv)
    limit = 500 if args.smoke else None

    linear = linear_regression(30 if args.smoke else args.steps)
    print(f"linear regression: y = {linear[2].item():.3f} x {linear[3].item():+.3f} (truth: y = 3x - 1), "
          f"final MSE {linear[4][-1]:.4f}")
    W, losses, accuracy = logistic_regression(args.root, 3 if args.smoke else args.epochs, limit=limit)
    print(f"logistic regression: {100 * accuracy:.2f} % test accuracy, final loss {losses[-1]:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    plot(linear, losses, W, args.out / "regression_from_scratch.png")
    print(f"plot: {args.out / 'regression_from_scratch.png'}")
    return {"train_loss": losses, "linear_loss": linear[4], "test_acc": [accuracy]}


if __name__ == "__main__":
    main()

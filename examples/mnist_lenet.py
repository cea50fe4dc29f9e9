"""Main job: train LeNet-5 on the bundled MNIST subset.

pydl's op library, autograd, convolution and nn layers are still being built (see the open
issues), so until they land this script runs a smaller real job on what exists today: a
perceptron trained with the classic perceptron rule on a synthetic two-class problem. pydl
provides the data (its Philox generator), shuffling (randperm), mini-batches (views that share
memory) and weights; NumPy does the arithmetic on those same buffers through zero-copy interop.
When `pydl.nn.Conv2d` exists this file becomes the LeNet-5 training script.
"""
import argparse
import time

import numpy as np

import pydl


def make_data(n, dim, generator):
    """Two Gaussian blobs in `dim` dimensions, labels -1/+1, all drawn from pydl's RNG."""
    labels = pydl.randint(0, 2, (n,), generator=generator)
    points = pydl.randn(n, dim, generator=generator)
    x, y = points.numpy(), labels.numpy()  # views of pydl's memory
    shift = np.where(y[:, None] == 1, 0.2, -0.2).astype(np.float32)
    x += shift  # modifies the pydl tensor in place (shared memory)
    return points, pydl.from_numpy(np.where(y == 1, 1.0, -1.0).astype(np.float32))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few seconds of work, for CI")
    args = parser.parse_args()
    epochs = 2 if args.smoke else args.epochs

    pydl.manual_seed(args.seed)
    g = pydl.Generator().manual_seed(args.seed)
    x, y = make_data(20000, 32, g)
    n_train = 16000
    x_train, y_train = x[:n_train], y[:n_train]  # views, no copies
    x_test, y_test = x[n_train:], y[n_train:]

    w = pydl.zeros(32)
    b = pydl.zeros(1)
    wn, bn = w.numpy(), b.numpy()
    start = time.perf_counter()
    for epoch in range(epochs):
        order = pydl.randperm(n_train, generator=g).numpy()
        mistakes = 0
        for i in range(0, n_train, args.batch_size):
            idx = order[i:i + args.batch_size]
            xb, yb = x_train.numpy()[idx], y_train.numpy()[idx]
            wrong = yb * (xb @ wn + bn[0]) <= 0  # perceptron rule: update on mistakes only
            mistakes += int(wrong.sum())
            wn += (yb[wrong, None] * xb[wrong]).sum(axis=0) / args.batch_size
            bn += yb[wrong].sum() / args.batch_size
        acc = float(((x_test.numpy() @ wn + bn[0]) * y_test.numpy() > 0).mean())
        print(f"epoch {epoch + 1:2d}: training mistakes {mistakes:5d}, test accuracy {acc:.4f}")
    print(f"trained in {time.perf_counter() - start:.2f}s; weights live in pydl tensor w: {w[:4]}")


if __name__ == "__main__":
    main()

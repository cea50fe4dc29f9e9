"""Datasets and image transforms in the shape of ``torchvision.datasets`` / ``.transforms``.

* :class:`MNIST`, :class:`FashionMNIST`: IDX files in torchvision's layout, downloadable;
  ``MNIST(root=None)`` (or :func:`mnist_sample`) is a 5,000-image subset bundled with pydl.
* :class:`CIFAR10`: the binary (pickle-free) distribution.
* :mod:`~pydl.datasets.transforms` (also ``pydl.transforms``): ToTensor, Normalize, crops,
  flips, rotations, affine warps and erasing, on NumPy images and pydl tensors.
* :func:`read_idx` / :func:`write_idx`: the IDX format itself.

Images come back as NumPy arrays (``(H, W)`` or ``(H, W, C)`` uint8) where torchvision returns
PIL images, since pydl does not depend on Pillow.
"""
from . import transforms  # noqa: F401
from .cifar import CIFAR10
from .idx import read_idx, write_idx
from .mnist import MNIST, FashionMNIST, mnist_sample
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "mnist_sample", "read_idx", "write_idx",
           "VisionDataset", "transforms"]

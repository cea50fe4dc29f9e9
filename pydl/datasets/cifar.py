"""CIFAR-10 from its *binary* distribution (``cifar-10-binary.tar.gz``).

torchvision reads the Python version, which is pickled; unpickling runs code from the file, so
pydl reads the binary version instead. Each ``.bin`` file is a run of 3,073-byte records: one
label byte, then the 32x32 red plane, the green plane and the blue plane, each row-major.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import tarfile

import numpy as np

from ._download import download_file
from .vision import VisionDataset

__all__ = ["CIFAR10"]

_SIDE = 32
_RECORD = 1 + 3 * _SIDE * _SIDE


def read_cifar_bin(path, num_classes: int = 10):
    """Reads one CIFAR binary batch file into ``(images, labels)``.

    ``images`` is ``uint8`` of shape ``(N, 32, 32, 3)`` (HWC, as torchvision's ``.data``) and
    ``labels`` ``int64`` of shape ``(N,)``. A size that is not a whole number of records, or a
    label outside ``[0, num_classes)``, raises ``ValueError`` naming the file.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % _RECORD:
        raise ValueError(f"{path}: truncated or not a CIFAR-10 binary file: {len(raw)} bytes is "
                         f"not a positive multiple of the {_RECORD}-byte record "
                         f"(1 label byte + 3x32x32 pixels)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        raise ValueError(f"{path}: record {bad[0]} has label {labels[bad[0]]}, outside "
                         f"[0, {num_classes}); not a CIFAR-10 file (CIFAR-100 records are "
                         "2 label bytes + pixels)")
    # Planes (N, C, H, W) -> HWC; the copy makes it contiguous and independent of `raw`.
    images = np.ascontiguousarray(records[:, 1:].reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1))
    return images, labels


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Args:
        root: directory holding ``cifar-10-batches-bin/`` (as the archive unpacks), or holding the
            ``.bin`` files directly. ``~`` is expanded.
        train: the five training batches if true, else ``test_batch.bin``.
        transform: callable applied to each image, e.g. ``transforms.ToTensor()``.
        target_transform: callable applied to each label.
        download: fetch and unpack the binary archive into ``root`` when the files are missing.
            Offline this raises ``RuntimeError`` naming the URL.

    Attributes:
        data: ``uint8`` NumPy array of shape ``(N, 32, 32, 3)``, HWC, as in torchvision.
        targets: list of ``int`` labels.
        classes: the class names (read from ``batches.meta.txt`` when present).

    ``dataset[i]`` is ``(image, target)``; without a transform the image is a ``uint8`` NumPy
    array of shape ``(32, 32, 3)`` where torchvision gives a PIL image (pydl does not depend on
    Pillow); ``transforms.ToTensor()`` turns it into a ``(3, 32, 32)`` float tensor.
    """

    base_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_file = "batches.meta.txt"
    classes = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        if root is None:
            raise TypeError("CIFAR10 needs root, the directory holding cifar-10-batches-bin/")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = self._find_folder()
        if folder is None and download:
            self.download()
            folder = self._find_folder()
        if folder is None:
            names = ", ".join(self._file_list())
            raise RuntimeError(f"CIFAR10 not found: expected {names} in "
                               f"{os.path.join(self.root, self.base_folder)} or {self.root}. "
                               "You can use download=True to download it.")
        parts = [read_cifar_bin(os.path.join(folder, name), len(self.classes))
                 for name in self._file_list()]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts]).tolist()
        self._load_meta(folder)

    def _file_list(self):
        return self.train_list if self.train else self.test_list

    def _find_folder(self):
        for folder in (os.path.join(self.root, self.base_folder), self.root):
            if all(os.path.isfile(os.path.join(folder, n)) for n in self._file_list()):
                return folder
        return None

    def _check_integrity(self) -> bool:
        return self._find_folder() is not None

    def _load_meta(self, folder: str) -> None:
        path = os.path.join(folder, self.meta_file)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                names = [line.strip() for line in f if line.strip()]
            if len(names) == len(self.classes):
                self.classes = names
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def download(self) -> None:
        """Downloads ``cifar-10-binary.tar.gz`` into ``root`` and unpacks its batch files."""
        if self._check_integrity():
            return
        archive = download_file(self.filename, [posixpath.dirname(self.url)], self.root,
                                md5=self.tgz_md5)
        self._extract(archive)

    def _extract(self, archive: str) -> None:
        # Only regular files inside cifar-10-batches-bin/ are written, under their base names:
        # an archive can name any path ("../x", "/etc/x"), and extracting blindly trusts it.
        dest = os.path.join(self.root, self.base_folder)
        os.makedirs(dest, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                head, name = posixpath.split(posixpath.normpath(member.name))
                if not member.isfile() or head != self.base_folder or name in ("", ".", ".."):
                    continue
                with tar.extractfile(member) as src, open(os.path.join(dest, name), "wb") as out:
                    shutil.copyfileobj(src, out)

    def __getitem__(self, index):
        """Returns ``(image, target)``: a ``uint8`` ``(32, 32, 3)`` array (or the transform's
        output) and the label as an ``int``."""
        # A copy, so an in-place transform cannot write into the dataset.
        img, target = np.array(self.data[index]), int(self.targets[index])
        return self._apply_transforms(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

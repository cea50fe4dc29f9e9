"""The base class of the image datasets: root, transforms and torchvision's ``repr``."""
from __future__ import annotations

import os

__all__ = ["VisionDataset"]


class VisionDataset:
    """Base class for the image datasets, shaped like ``torchvision.datasets.VisionDataset``.

    Args:
        root: the dataset's directory (``str`` or ``os.PathLike``; ``~`` is expanded), or ``None``
            for datasets that need no files.
        transform: callable applied to each image.
        target_transform: callable applied to each target.

    Subclasses implement ``__len__`` and ``__getitem__`` and call :meth:`_apply_transforms`.
    Any object with ``__len__`` and ``__getitem__`` is a valid map-style dataset for a data
    loader, so no other base class is needed.
    """

    _repr_indent = 4

    def __init__(self, root=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(os.fsdecode(root))
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _apply_transforms(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def extra_repr(self) -> str:
        """Extra lines for ``repr``; subclasses describe their split here."""
        return ""

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        for label, t in (("Transform: ", self.transform),
                         ("Target transform: ", self.target_transform)):
            if t is not None:
                lines = repr(t).splitlines()
                # Continuation lines line up under the first, as torchvision prints them.
                body += [label + lines[0]] + [" " * len(label) + line for line in lines[1:]]
        return "\n".join([head] + [" " * self._repr_indent + line for line in body])

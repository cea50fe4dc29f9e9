"""pydl.utils.data: datasets, samplers, collation and the DataLoader, as ``torch.utils.data``.

``DataLoader(dataset, batch_size=..., shuffle=..., num_workers=...)`` batches a map-style
``Dataset`` (``__getitem__``/``__len__``) or an ``IterableDataset`` (``__iter__``); with
``num_workers > 0`` the batches are produced in worker processes (started with "forkserver" by
default, see ``DataLoader``).
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset)
from ._worker import WorkerInfo, get_worker_info
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .split import random_split

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
    "get_worker_info", "random_split",
]

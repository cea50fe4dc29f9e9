"""pydl.cuda: is the CUDA backend built and is there a GPU? Device queries and seeding."""
from collections import namedtuple

from .. import _C

_Properties = namedtuple("_CudaDeviceProperties", "name major minor multi_processor_count total_memory")
OutOfMemoryError = _C.OutOfMemoryError


def is_built():
    """True when this pydl was compiled with its CUDA backend."""
    return _C._build_info()["cuda_built"]


def device_count():
    """Number of CUDA devices visible (0 without a driver, a GPU, or a CUDA build)."""
    return _C._cuda_device_count() if is_built() else 0


def is_available():
    """True when CUDA tensors can be created: a CUDA build, a driver and at least one GPU."""
    return device_count() > 0


def _check():
    if not is_built():
        raise RuntimeError("pydl was built without CUDA support (rebuild with nvcc on PATH, or PYDL_CUDA=ON)")
    if not is_available():
        raise RuntimeError("Found no NVIDIA driver or CUDA device on this machine")


def _device_index(device):
    """The CUDA index that `device` names (an int, 'cuda:N', pydl.device('cuda', N)), or None
    for 'cuda' / None, which mean the current device."""
    if device is None:
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = device if isinstance(device, _C.device) else _C.device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index


def _index_or_current(device):
    index = _device_index(device)
    return current_device() if index is None else index


def current_device():
    """Index of the current CUDA device."""
    _check()
    return _C._cuda_current_device()


def set_device(device):
    """Make `device` (an index, 'cuda:N' or a pydl.device) the current CUDA device."""
    _check()
    index = _device_index(device)
    if index is not None:  # set_device('cuda') keeps the current device, like torch
        _C._cuda_set_device(index)


def get_device_properties(device=None):
    """Name, compute capability, SM count and memory of a CUDA device."""
    _check()
    return _Properties(**_C._cuda_device_properties(_index_or_current(device)))


def get_device_name(device=None):
    """The marketing name of a CUDA device, e.g. 'NVIDIA H100 80GB HBM3'."""
    return get_device_properties(device).name


def get_device_capability(device=None):
    """(major, minor) compute capability of a CUDA device."""
    p = get_device_properties(device)
    return p.major, p.minor


def synchronize(device=None):
    """Wait for all work on a CUDA device to finish."""
    _check()
    _C._cuda_synchronize(_index_or_current(device))


def manual_seed(seed):
    """Seed the current CUDA device's default generator."""
    if is_available():
        _C._cuda_manual_seed(seed, current_device())


def manual_seed_all(seed):
    """Seed every CUDA device's default generator."""
    for i in range(device_count()):
        _C._cuda_manual_seed(seed, i)


from .memory import (empty_cache, max_memory_allocated, max_memory_reserved, memory_allocated,  # noqa: E402
                     memory_reserved, memory_stats, memory_summary, reset_peak_memory_stats)

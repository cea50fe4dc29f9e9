"""Tensor printing that reproduces PyTorch 2.x ``repr(tensor)`` output.

The tensor class hands its data over as a NumPy array (bfloat16 already upcast
to float32) together with a few facts about the tensor (dtype name, device,
autograd state), and :func:`format_tensor` returns the text PyTorch would
print, with ``torch.`` spelled ``pydl.``.  The layout rules (one shared element
width, summarization with ``...``, line wrapping, suffix wrapping) follow
``torch/_tensor_str.py`` so that users see identical output in both libraries.
This module deliberately depends on NumPy only, so it can be tested without
the compiled extension.
"""

import contextlib
import dataclasses
import math
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = [
    "PrintOptions",
    "PRINT_OPTS",
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
]


@dataclasses.dataclass
class PrintOptions:
    """Global printing options; field meanings match ``torch.set_printoptions``."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: Optional[bool] = None


PRINT_OPTS = PrintOptions()

# Named presets accepted by set_printoptions(profile=...), as in torch.
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
) -> None:
    """Set global print options (same semantics as ``torch.set_printoptions``).

    ``profile`` ('default', 'short' or 'full') is applied first and explicit
    arguments override it.  As in torch, ``sci_mode`` is always assigned, so
    omitting it restores automatic notation selection.
    """
    if profile is not None:
        # torch silently ignores unknown profile names; so do we.
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> Dict[str, Any]:
    """Return the current options as a dict usable as ``set_printoptions(**d)``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change print options inside a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one notation and width shared by every element of a tensor.

    Only nonzero finite values drive the choice (zeros, nan and inf fit any
    notation), and the width is computed from them alone, exactly like torch;
    that is why e.g. ``nan`` can end up wider than its neighbours.
    """

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return

        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        # Compare in float64: float16 would overflow at 1e8, and torch does the same.
        absvals = np.abs(vals).astype(np.float64)
        lo, hi = absvals.min(), absvals.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):
                self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        p = PRINT_OPTS.precision
        if self.sci_mode:
            fmt, extra = f"{{:.{p}e}}", 0
        elif self.int_mode:
            fmt, extra = "{:.0f}", 1  # +1 for the trailing '.' marking a float
        else:
            fmt, extra = f"{{:.{p}f}}", 0
        for v in vals.tolist():
            self.max_width = max(self.max_width, len(fmt.format(v)) + extra)

    def format(self, value) -> str:
        """Format one Python scalar, right-aligned to the shared width."""
        p = PRINT_OPTS.precision
        if not self.floating:
            ret = str(value)
        elif self.sci_mode:
            ret = f"{{:{self.max_width}.{p}e}}".format(value)
        elif self.int_mode:
            ret = f"{value:.0f}"
            if math.isfinite(value):
                ret += "."
        else:
            ret = f"{{:.{p}f}}".format(value)
        return ret.rjust(self.max_width)


def _format_value(value, fmts: Sequence[_Formatter]) -> str:
    """Format a scalar; complex values use separate real/imag formatters."""
    if len(fmts) == 1:
        return fmts[0].format(value)
    real = fmts[0].format(value.real)
    imag = (fmts[1].format(value.imag) + "j").lstrip()
    # The imaginary part carries its own sign unless it is positive.
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized_data(a: np.ndarray) -> np.ndarray:
    """Keep only the elements that will be printed, so widths ignore hidden ones."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # With edgeitems=0, a[-0:] is the whole array; torch behaves the same.
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return np.empty([0] * a.ndim, dtype=a.dtype)
    rows = list(a[:e]) + list(a[-e:]) if a.shape[0] > 2 * e else list(a)
    return np.stack([_summarized_data(r) for r in rows])


def _vector_str(a, indent, summarize, fmts) -> str:
    """Format a 1-D array, wrapping so each line fits within linewidth."""
    # Each element takes its width plus ", "; complex adds imag width and 'j'.
    element_length = fmts[0].max_width + 2
    if len(fmts) == 2:
        element_length += fmts[1].max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = (
            [_format_value(v, fmts) for v in a[:e].tolist()]
            + [" ..."]
            + [_format_value(v, fmts) for v in a[-e:].tolist()]
        )
    else:
        data = [_format_value(v, fmts) for v in a.tolist()]

    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a, indent, summarize, fmts) -> str:
    """Recursively format; dims > 1 separate sub-blocks by (ndim - 1) newlines."""
    if a.ndim == 0:
        return _format_value(a.item(), fmts)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmts)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        idx = list(range(e)) + [None] + list(range(n - e, n))
    else:
        idx = list(range(n))
    slices = [
        "..." if i is None else _nested_str(a[i], indent + 1, summarize, fmts)
        for i in idx
    ]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(a: np.ndarray, indent: int) -> str:
    """Format the bracketed data part of a non-empty tensor."""
    summarize = a.size > PRINT_OPTS.threshold
    src = _summarized_data(a) if summarize else a
    if a.dtype.kind == "c":
        fmts = (_Formatter(src.real), _Formatter(src.imag))
    else:
        fmts = (_Formatter(src),)
    return _nested_str(a, indent, summarize, fmts)


def _add_suffixes(tensor_str: str, suffixes, indent: int) -> str:
    """Append ', key=value' suffixes, moving one to a new line if it would overflow."""
    parts = [tensor_str]
    # The "+ 1" (and + 2 when there is no newline) is torch's arithmetic; kept
    # verbatim because it decides where suffixes wrap.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        # Measure as torch would print it ("torch." is one character longer
        # than "pydl.") so the line breaks land exactly where torch puts them.
        width = len(suffix) + suffix.count("pydl.")
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + width
        else:
            parts.append(", " + suffix)
            last_line_len += width + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    values: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str,
    device: str,
    requires_grad: bool,
    grad_fn_name: Optional[str] = None,
    prefix: str = "tensor(",
) -> str:
    """Return the ``repr`` of a tensor whose data is ``values``, as torch prints it.

    ``dtype_name`` is the tensor's dtype ('float32', 'int64', 'bfloat16', ...),
    which may differ from ``values.dtype`` (bfloat16 arrives as float32).
    ``default_dtype_name`` is the current default float dtype; a dtype suffix is
    printed only when the dtype cannot be inferred from the printed values.
    """
    a = np.asarray(values)
    indent = len(prefix)
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{device}'")
    dtype_suffix = f"dtype=pydl.{dtype_name}"
    if a.size == 0:
        # Nothing to infer the shape or dtype from, so torch spells them out
        # (except the shape of a plain 1-D empty tensor, matching NumPy).
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dtype_name != default_dtype_name:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            # With no edge items shown, the shape would otherwise be invisible.
            suffixes.append(f"size={tuple(a.shape)}")
        default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(dtype_suffix)
        body = _tensor_str(a, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)

"""The character-level text of examples/char_lstm.py and examples/tiny_gpt.py, and their plot.

A language model over characters needs no tokenizer: the vocabulary is the set of characters
in the text, each character is its index in that sorted set.
"""
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

import pydl

SONNETS = Path(__file__).resolve().parent / "data" / "shakespeare_sonnets.txt"


class CharText:
    """A text file (its header line dropped) as a tensor of character indices, split 90/10
    into ``train`` and ``val``, with ``encode``/``decode`` between strings and indices."""

    def __init__(self, path=SONNETS, val_fraction=0.1):
        text = Path(path).read_text(encoding="utf-8").split("\n", 1)[1].lstrip("\n")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}
        data = pydl.tensor(self.encode(text), dtype=pydl.int64)
        n = int((1 - val_fraction) * len(data))
        self.train, self.val = data[:n], data[n:]

    def __len__(self):
        """The size of the vocabulary."""
        return len(self.chars)

    def encode(self, s):
        return [self.index[c] for c in s]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


def figure_with_sample(sample, temperature):
    """A figure whose right panel shows the first lines of a generated `sample`; returns it and
    the left axes, for the caller's loss curves."""
    fig, (ax, ax_text) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": (1, 1.15)})
    ax_text.axis("off")
    ax_text.set_title(f"a sample (temperature {temperature:g})")
    ax_text.text(0, 1, "\n".join(sample.splitlines()[:24]), va="top", family="monospace", fontsize=8,
                 transform=ax_text.transAxes)
    ax.set(xlabel="step", ylabel="cross-entropy (nats per character)")
    return fig, ax


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

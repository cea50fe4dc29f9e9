"""The character-level text of examples/char_lstm.py and examples/tiny_gpt.py.

A language model over characters needs no tokenizer: the vocabulary is the set of characters
in the text, each character is its index in that sorted set.
"""
from pathlib import Path

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

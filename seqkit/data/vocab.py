"""Word vocabulary: specials first (`<pad>`=0, `<unk>`, `<s>`, `</s>`), then words by frequency.

Built from token lists with a minimum count and a maximum size, saved in the run as one token per
line (the line number is the id), so classifiers and translators rebuild their inputs from the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from seqkit.data.text import read_text
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_text

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)


class Vocab:
    """Tokens <-> ids; unknown tokens map to `<unk>`."""

    pad_id, unk_id, bos_id, eos_id = range(len(SPECIALS))

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[:len(SPECIALS)]) != SPECIALS:
            raise DataError(f"a vocabulary must start with {' '.join(SPECIALS)}")
        if len(set(tokens)) != len(tokens):
            raise DataError("a vocabulary cannot hold a token twice")
        self.tokens = list(tokens)
        self.ids = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], max_size: int = 0, min_count: int = 1) -> Vocab:
        """The words seen at least `min_count` times, most frequent first (ties alphabetical), cut so
        that the whole vocabulary, specials included, has at most `max_size` entries (0: no cap)."""
        counts = Counter(t for tokens in token_lists for t in tokens)
        words = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS),
                       key=lambda w: (-counts[w], w))
        if max_size:
            words = words[:max(0, max_size - len(SPECIALS))]
        return cls([*SPECIALS, *words])

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """int32 ids of `tokens`, `<unk>` for tokens outside the vocabulary."""
        return np.array([self.ids.get(t, self.unk_id) for t in tokens], np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids`."""
        return [self.tokens[i] for i in ids]

    def save(self, path: str | Path) -> None:
        """One token per line, in id order."""
        atomic_write_text(path, "".join(t + "\n" for t in self.tokens))

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """The vocabulary `save` wrote."""
        return cls(read_text(path).split("\n")[:-1])

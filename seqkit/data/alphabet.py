"""Characters <-> ids: the text8 preset or one built from a text, with an explicit unknown policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from seqkit.errors import DataError
from seqkit.fileio import atomic_write_text

TEXT8_SYMBOLS = " abcdefghijklmnopqrstuvwxyz"
UNK = "\ufffd"  # the Unicode replacement character stands for every unknown character
POLICIES = ("error", "unk")
ENCODE_CHUNK = 1 << 20


@dataclass(frozen=True)
class Alphabet:
    """An ordered set of characters; `unknown` is "error" (raise) or "unk" (map to the UNK symbol)."""

    symbols: str
    unknown: str = "error"

    def __post_init__(self) -> None:
        if self.unknown not in POLICIES:
            raise DataError(f"unknown-character policy must be one of {POLICIES}, not {self.unknown!r}")
        if len(set(self.symbols)) != len(self.symbols) or not self.symbols:
            raise DataError("an alphabet needs at least one symbol and no repeats")
        if self.unknown == "unk" and UNK not in self.symbols:
            object.__setattr__(self, "symbols", self.symbols + UNK)

    @classmethod
    def text8(cls, unknown: str = "error") -> Alphabet:
        """Space plus a-z, the 27 symbols of text8."""
        return cls(TEXT8_SYMBOLS, unknown)

    @classmethod
    def from_text(cls, *texts: str, unknown: str = "error") -> Alphabet:
        """Every distinct code point of the texts, sorted."""
        if not any(texts):
            raise DataError("cannot build an alphabet from empty text")
        return cls("".join(sorted(set().union(*map(set, texts)))), unknown)

    def __len__(self) -> int:
        return len(self.symbols)

    @property
    def dtype(self) -> type:
        """The smallest unsigned type that holds every id: text8 (100 M chars) fits in 100 MB."""
        return np.uint8 if len(self) <= 256 else np.uint16 if len(self) <= 65536 else np.uint32

    def encode(self, text: str) -> np.ndarray:
        """Map text to a compact id array, applying the unknown-character policy.

        Works through the text in chunks so that a 100 M character corpus needs only its ids (100 MB for
        uint8) beside the string, not the 4-8 bytes per character of a one-shot UTF-32 conversion.
        """
        out = np.empty(len(text), dtype=self.dtype)
        unk = self.symbols.index(UNK) if self.unknown == "unk" else -1
        for start in range(0, len(text), ENCODE_CHUNK):
            piece = text[start:start + ENCODE_CHUNK]
            ids = self._table.get(np.frombuffer(piece.encode("utf-32-le"), dtype=np.uint32))
            bad = ids < 0
            if bad.any():
                pos = int(np.argmax(bad))
                if unk < 0:
                    raise DataError(
                        f"character {piece[pos]!r} (U+{ord(piece[pos]):04X}) at position {start + pos} is "
                        f"not in the alphabet of {len(self)} symbols; use --unknown unk to map such "
                        f"characters to {UNK!r}")
                ids[bad] = unk
            out[start:start + len(piece)] = ids
        return out

    def decode(self, ids) -> str:
        """Map ids back to text."""
        return "".join(self.symbols[int(i)] for i in ids)

    @cached_property
    def _table(self) -> _CodeTable:
        return _CodeTable(self.symbols)

    def save(self, path: str | Path) -> None:
        """Write the alphabet as JSON (symbols in id order and the unknown policy)."""
        atomic_write_text(path, json.dumps({"symbols": self.symbols, "unknown": self.unknown}))

    @classmethod
    def load(cls, path: str | Path) -> Alphabet:
        """Read an alphabet written by `save`."""
        try:
            d = json.loads(Path(path).read_text("utf-8"))
            return cls(d["symbols"], d["unknown"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataError(f"{path}: not a seqkit alphabet file ({e})") from None


class _CodeTable:
    """Vectorised code point -> id lookup (a dense table over the alphabet's code point range)."""

    def __init__(self, symbols: str) -> None:
        codes = np.array([ord(c) for c in symbols], dtype=np.int64)
        self.table = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
        self.table[codes] = np.arange(len(symbols))

    def get(self, codes: np.ndarray) -> np.ndarray:
        inside = codes < len(self.table)
        return np.where(inside, self.table[np.minimum(codes, len(self.table) - 1)], -1)

"""Load word vectors as gensim KeyedVectors from any of the formats users have.

Formats: gensim's own KeyedVectors file (`kv.save(...)`), word2vec binary, word2vec text (a
"count dims" header line), and GloVe text (no header). `format="auto"` tells them apart by content.
`save_vectors` writes any of the four.
"""

from __future__ import annotations

from pathlib import Path

from seqkit.errors import DataError
from seqkit.fileio import atomic_write

FORMATS = ("auto", "gensim", "word2vec-bin", "word2vec-text", "glove")


def detect_format(path: Path) -> str:
    """Guess the format from the first bytes: pickle, a 'count dims' header, or a GloVe row."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        raise DataError(f"{path}: the vectors file is empty")
    if head[:1] == b"\x80":  # a pickle protocol marker: gensim's native save
        return "gensim"
    first = head.split(b"\n", 1)[0]
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        rest = head[len(first) + 1:]
        try:
            rest.split(b"\n", 1)[0].decode("utf-8")
        except UnicodeDecodeError:
            return "word2vec-bin"
        row = rest.split(b"\n", 1)[0].split()
        return "word2vec-text" if len(row) == int(fields[1]) + 1 else "word2vec-bin"
    unknown = DataError(f"{path}: not a word-vectors file this reader knows ({', '.join(FORMATS[1:])})")
    try:
        [float(x) for x in fields[1:]]
    except ValueError:
        raise unknown from None
    if len(fields) < 2:
        raise unknown
    return "glove"


def load_vectors(path: str | Path, format: str = "auto", limit: int | None = None):
    """gensim KeyedVectors from `path`; DataError naming the file for anything unreadable."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such vectors file")
    if format not in FORMATS:
        raise DataError(f"unknown vectors format {format!r}; choose one of {', '.join(FORMATS)}")
    fmt = detect_format(path) if format == "auto" else format
    try:
        if fmt == "gensim":
            return KeyedVectors.load(str(path))
        return KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-bin", limit=limit,
                                                 no_header=fmt == "glove")
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as e:
        raise DataError(f"{path}: cannot read it as {fmt} vectors ({e})") from None


def save_vectors(kv, path: str | Path, format: str = "word2vec-bin") -> Path:
    """Write KeyedVectors atomically in one of the formats `load_vectors` reads."""
    if format not in FORMATS[1:]:
        raise DataError(f"unknown vectors format {format!r}; choose one of {', '.join(FORMATS[1:])}")

    def write(tmp: str) -> None:
        if format == "gensim":
            kv.save(tmp, separately=[])  # one file: no .npy sidecars left behind by the rename
        else:
            kv.save_word2vec_format(tmp, binary=format == "word2vec-bin", write_header=format != "glove")

    return atomic_write(path, write)

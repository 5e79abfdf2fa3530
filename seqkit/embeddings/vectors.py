"""Load word vectors as gensim KeyedVectors from any of the formats users have.

Formats: gensim's own KeyedVectors file (`kv.save(...)`), word2vec binary, word2vec text (a
"count dims" header line), and GloVe text (no header). `format="auto"` tells them apart by content.
`save_vectors` writes any of the four.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from seqkit.errors import DataError
from seqkit.fileio import atomic_write

FORMATS = ("auto", "gensim", "word2vec-bin", "word2vec-text", "glove")
LINE_LIMIT = 1 << 20  # bytes of a line read to guess the format (a binary file's "line" ends at any 0x0a)


def detect_format(path: Path) -> str | None:
    """Guess the format from the first two lines: pickle, a 'count dims' header, or a GloVe row; None for
    content like none of them. Whole lines, not a fixed head: a text row of 1,000 dimensions is 10 kB."""
    with open(path, "rb") as f:
        first, second = f.readline(LINE_LIMIT), f.readline(LINE_LIMIT)
    if not first:
        raise DataError(f"{path}: the vectors file is empty")
    if first[:1] == b"\x80":  # a pickle protocol marker: gensim's native save
        return "gensim"
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        try:
            row = second.decode("utf-8").split()
        except UnicodeDecodeError:
            return "word2vec-bin"
        return "word2vec-text" if len(row) == int(fields[1]) + 1 else "word2vec-bin"
    try:
        [float(x) for x in fields[1:]]
    except ValueError:
        return None
    return "glove" if len(fields) >= 2 else None


# What unpickling a file that is not gensim's can raise (the pickle module's own list, and ValueError).
UNPICKLING = (pickle.UnpicklingError, AttributeError, EOFError, ImportError, IndexError, KeyError, TypeError,
              ValueError)


def load_gensim(path: Path):
    """KeyedVectors from gensim's own file: saved KeyedVectors, or a whole saved model (Word2Vec, FastText),
    whose `wv` they are."""
    from gensim.models import KeyedVectors

    try:
        loaded = KeyedVectors.load(str(path))
    except UNPICKLING as e:
        raise DataError(f"{path}: cannot read it as gensim vectors ({str(e) or type(e).__name__}); is it a "
                        "whole file saved by gensim?") from None
    kv = getattr(loaded, "wv", loaded)
    if not isinstance(kv, KeyedVectors):
        raise DataError(f"{path}: a pickle of {type(loaded).__name__}, not of gensim KeyedVectors or a model")
    return kv


def load_vectors(path: str | Path, format: str = "auto", limit: int | None = None):
    """gensim KeyedVectors from `path`; DataError naming the file for anything unreadable. A format given
    that the content contradicts is refused: word2vec-bin read from text, say, loads garbage without error."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a directory; give a vectors file")
    if not path.is_file():
        raise DataError(f"{path}: no such vectors file")
    if format not in FORMATS:
        raise DataError(f"unknown vectors format {format!r}; choose one of {', '.join(FORMATS)}")
    found = detect_format(path)
    if found is None and format == "auto":
        raise DataError(f"{path}: not a word-vectors file this reader knows ({', '.join(FORMATS[1:])})")
    found = found or format  # content the guess cannot place: take the user's word for it
    if format not in ("auto", found):
        raise DataError(f"{path}: holds {found} vectors, not {format}; give --format {found}, or leave "
                        "--format out")
    if found == "gensim":
        return load_gensim(path)
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=found == "word2vec-bin", limit=limit,
                                                 no_header=found == "glove")
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as e:
        raise DataError(f"{path}: cannot read it as {found} vectors ({e})") from None


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

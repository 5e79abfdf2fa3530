"""Reading user text files with errors that say exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

from seqkit.errors import DataError


def decode_utf8(raw: bytes, name: str) -> str:
    """Decode bytes as UTF-8, naming the byte offset and line of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"{name}: byte {e.start} (line {line}) is not valid UTF-8 ({raw[e.start:e.start + 1]!r}); "
            "re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`"
        ) from None


def read_text(path: str | Path) -> str:
    """Read a whole UTF-8 text file; empty, missing and undecodable files raise DataError."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    raw = p.read_bytes()
    if not raw.strip():
        raise DataError(f"{p}: the file is empty")
    return decode_utf8(raw, str(p))

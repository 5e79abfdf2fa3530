"""Reading user text files with errors that say exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

from seqkit.errors import DataError


def decode_utf8(raw: bytes, name: str, offset: int = 0, line: int = 1) -> str:
    """Decode bytes as UTF-8, naming the byte offset and line of the first bad byte.

    `offset` and `line` say where `raw` starts in its file, for callers that decode a file piece by piece.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad_line = line + raw.count(b"\n", 0, e.start)
        raise DataError(
            f"{name}: byte {offset + e.start} (line {bad_line}) is not valid UTF-8 "
            f"({raw[e.start:e.start + 1]!r}); re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`"
        ) from None


def split_lines(text: str) -> list[str]:
    """Lines split on \\n only (str.splitlines also splits on U+2028 and friends, breaking alignment)."""
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


def read_bytes(path: str | Path) -> bytes:
    """A whole file's bytes; missing and empty files raise DataError."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    raw = p.read_bytes()
    if not raw.strip():
        raise DataError(f"{p}: the file is empty")
    return raw


def read_text(path: str | Path) -> str:
    """Read a whole UTF-8 text file; empty, missing and undecodable files raise DataError."""
    return decode_utf8(read_bytes(path), str(path))


def read_lines(path: str | Path) -> list[str | DataError]:
    """A UTF-8 file's lines; an undecodable line becomes the DataError naming it, so the rest still count."""
    lines: list[str | DataError] = []
    offset = 0
    for number, raw in enumerate(read_bytes(path).splitlines(keepends=True), 1):
        try:
            lines.append(decode_utf8(raw.rstrip(b"\r\n"), str(path), offset, number))
        except DataError as e:
            lines.append(e)
        offset += len(raw)
    return lines

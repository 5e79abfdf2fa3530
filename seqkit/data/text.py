"""Reading user text files with errors that say exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

from seqkit.errors import DataError

BOM = "\ufeff"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
TO_UTF8 = "re-encode the file as UTF-8, e.g. `iconv -f {} -t utf-8`"


def refuse_utf16(raw: bytes, name: str) -> None:
    """UTF-16 (Windows' "Unicode") by its byte-order mark: its ASCII would pass as UTF-8 with NULs between."""
    if raw[:2] in UTF16_BOMS:
        raise DataError(f"{name}: the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                        + TO_UTF8.format("utf-16"))


def decode_utf8(raw: bytes, name: str, offset: int = 0, line: int = 1) -> str:
    """Decode bytes as UTF-8, naming the byte offset and line of the first bad byte.

    `offset` and `line` say where `raw` starts in its file, for callers that decode a file piece by piece.
    A UTF-8 byte-order mark at the start of the file (Windows editors write one) is dropped, so the file
    reads as the same text as without it. UTF-16 is refused, and so is a NUL byte (valid UTF-8, but never
    in text: a UTF-16 file without its mark, or a binary one).
    """
    if offset == 0:
        refuse_utf16(raw, name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad_line = line + raw.count(b"\n", 0, e.start)
        raise DataError(f"{name}: byte {offset + e.start} (line {bad_line}) is not valid UTF-8 "
                        f"({raw[e.start:e.start + 1]!r}); " + TO_UTF8.format("latin1")) from None
    nul = raw.find(b"\0")
    if nul >= 0:
        bad_line = line + raw.count(b"\n", 0, nul)
        raise DataError(f"{name}: byte {offset + nul} (line {bad_line}) is a NUL byte, so this is not a "
                        "text file (UTF-16 or binary?); " + TO_UTF8.format("utf-16"))
    return text.removeprefix(BOM) if offset == 0 else text


def split_lines(text: str) -> list[str]:
    """Lines split on \\n only (str.splitlines also splits on U+2028 and friends, breaking alignment)."""
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


def read_bytes(path: str | Path) -> bytes:
    """A whole file's bytes; missing, directory and empty files raise DataError."""
    p = Path(path)
    if p.is_dir():
        raise DataError(f"{p}: is a directory; give a text file")
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
    data = read_bytes(path)
    refuse_utf16(data, str(path))  # the whole file, not each of its lines, is unusable
    lines: list[str | DataError] = []
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        try:
            lines.append(decode_utf8(raw.rstrip(b"\r\n"), str(path), offset, number))
        except DataError as e:
            lines.append(e)
        offset += len(raw)
    return lines

"""text8 (Mahoney): 100M characters of cleaned Wikipedia, split 90M/5M/5M as in the literature."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from seqkit.data_prep.fetch import cache_dir, download, verify_sha256, warn_unverified
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_bytes

URL = "http://mattmahoney.net/dc/text8.zip"
# Pinned by many public projects (torchtext users, word2vec reproductions); 31,344,016 bytes.
ZIP_SHA256 = "a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232"
# sha256 of the unzipped 100,000,000-byte `text8` member, for a copy unzipped by hand.
TEXT_SHA256 = "6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7"
FULL_SIZE = 100_000_000
NOT_TEXT8 = "is this text8.zip from mattmahoney.net, or the text8 file unzipped from it?"
SPLITS = (("train", 90), ("valid", 5), ("test", 5))  # percent; 90M/5M/5M on the full corpus

_OK = b" abcdefghijklmnopqrstuvwxyz"
_BAD = re.compile(rb"[^a-z ]|  ")


def check_text8(data: bytes, name: str) -> None:
    """Raise DataError at the first byte that is not a-z or a single space."""
    if not data.translate(None, _OK) and b"  " not in data:  # fast path: C loops, no regex
        return
    pos = _BAD.search(data).start()  # there is a match: the fast path failed
    if data[pos:pos + 1] == b" ":
        pos += 1
        what = "a second consecutive space"
    else:
        what = repr(data[pos:pos + 4].decode("utf-8", "replace")[0])
    raise DataError(
        f"{name}: character {pos} is {what}; text8 format allows only a-z and single spaces "
        "(is this the text8 file?)"
    )


def split_sizes(n: int) -> list[int]:
    """Character counts of train/valid/test: 90%/5%/5%, the remainder going to test."""
    sizes = [n * pct // 100 for _, pct in SPLITS[:-1]]
    return sizes + [n - sum(sizes)]


def _read(path: Path) -> bytes:
    """The text8 bytes from the official zip or unzipped file (both verified), or a text8-format file."""
    if path.is_dir():
        raise DataError(f"{path}: is a directory; --from takes text8.zip or the text8 file unzipped from it")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        if path.stat().st_size == FULL_SIZE:  # full size: it claims to be text8, so it must be the real one
            verify_sha256(path, TEXT_SHA256, NOT_TEXT8)
        else:  # a slice, or other text in its format: usable, but say that nothing vouches for it
            warn_unverified(path, f"is not the {FULL_SIZE:,}-byte text8 file, whose sha256 is pinned")
        return path.read_bytes()
    verify_sha256(path, ZIP_SHA256, NOT_TEXT8)
    with zipfile.ZipFile(path) as z:
        return z.read("text8")


def prepare(out_dir: str | Path, from_file: str | Path | None = None,
            cache: str | Path | None = None) -> dict[str, Path]:
    """Get text8 (download or `from_file`), validate it, write train/valid/test.txt into out_dir."""
    if from_file:
        src = Path(from_file)
    else:
        src = download(URL, ZIP_SHA256, Path(cache or cache_dir()) / "text8.zip")
    data = _read(src)
    if not data:
        raise DataError(f"{src}: the file is empty")
    check_text8(data, str(src))
    view = memoryview(data)  # slices of a memoryview share the one 100 MB buffer
    out, start, paths = Path(out_dir), 0, {}
    for (split, _), size in zip(SPLITS, split_sizes(len(data)), strict=True):
        paths[split] = atomic_write_bytes(out / f"{split}.txt", view[start:start + size])
        start += size
    return paths

"""Downloads that are verified by sha256 and never leave a half-written file behind."""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from seqkit.errors import DataError
from seqkit.fileio import atomic_write

CHUNK = 1 << 20


def cache_dir() -> Path:
    """Where downloads are kept: $SEQKIT_CACHE, else ~/.cache/seqkit."""
    env = os.environ.get("SEQKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "seqkit"


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks so large archives need little memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path: str | Path, expected: str,
                  advice: str = "the file is corrupt or a different version: delete it and download it again"
                  ) -> None:
    """Raise DataError naming both digests, and what to do, when a file is not the one the recipe pins."""
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(f"{path}: sha256 is {actual}, expected {expected}; {advice}")


def warn_unverified(name: str | Path, why: str = "has no pinned sha256") -> None:
    """One line on stderr for each file used without a sha256 check (none pinned, or none possible)."""
    print(f"warning: {name} {why}; it is not verified", file=sys.stderr)


def download(url: str, sha256: str | None, dest: str | Path) -> Path:
    """Fetch `url` to `dest` with a progress bar and check its sha256; reuse a verified copy.
    sha256 None (a recipe that could not pin the file) skips the check, with a warning on stderr."""
    dest = Path(dest)
    if sha256 is None:
        warn_unverified(url)
    if dest.is_file() and (sha256 is None or sha256_of(dest) == sha256):
        return dest
    h = hashlib.sha256()

    def fetch(tmp: str) -> None:
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
        if sha256 is not None and h.hexdigest() != sha256:
            raise DataError(
                f"{url}: sha256 is {h.hexdigest()}, expected {sha256}; the download is corrupt or the "
                "file changed upstream: try again, or download it by hand and pass `--from FILE`"
            )

    try:
        return atomic_write(dest, fetch)
    except (urllib.error.URLError, OSError) as e:
        raise DataError(
            f"could not download {url} ({getattr(e, 'reason', e)}); download it by hand and pass "
            "`--from FILE`"
        ) from None

"""The corpus that ships inside the package, so training works with no download and no --data."""

from __future__ import annotations

import hashlib
import lzma
from functools import lru_cache
from importlib import resources

from seqkit.data.text import decode_utf8
from seqkit.errors import DataError

DEFAULT_CORPUS = "shakespeare"
ASSET = "assets/shakespeare.txt.xz"
# sha256 of the decompressed text: the 5,053,163-byte shakespeare.txt built by seqkit.data_prep.shakespeare.
EMBEDDED_SHA256 = "f9a9c3bba5a0c7cbcd26b1cab32c7ff101e0a13133ab8db6a7cd3b07f436e253"


@lru_cache(maxsize=1)  # one 5 MB string, kept so that callers do not decompress it again
def embedded_text() -> str:
    """The embedded Shakespeare corpus, checked against its recorded sha256."""
    asset = resources.files("seqkit").joinpath(ASSET)
    try:
        raw = lzma.decompress(asset.read_bytes())
    except (OSError, lzma.LZMAError) as e:
        raise DataError(f"the embedded corpus seqkit/{ASSET} is unreadable ({e}); reinstall seqkit") from None
    if hashlib.sha256(raw).hexdigest() != EMBEDDED_SHA256:
        raise DataError(f"the embedded corpus seqkit/{ASSET} is corrupt (wrong sha256); reinstall seqkit")
    return decode_utf8(raw, f"seqkit/{ASSET}")

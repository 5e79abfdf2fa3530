"""IWSLT'15 English-Vietnamese (133k TED sentence pairs), as the tensorflow/nmt tutorial uses it.

The Stanford NLP group's files are already tokenized (Moses) and line-aligned: train.{en,vi},
tst2012.{en,vi} (dev, 1,553 pairs), tst2013.{en,vi} (test, 1,268 pairs) and the tutorial's word
vocabularies vocab.{en,vi}. The recipe writes train/dev/test.{en,vi} and vocab.{en,vi} into the output
folder; `--from` takes a folder already holding the eight files.

No public code we could find pins these files' sha256, so SHA256 holds None for each one and
downloads are not verified (a warning says so); fill in the digests once a copy has been checked.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from seqkit.data.parallel import read_parallel
from seqkit.data_prep.fetch import cache_dir, download, verify_sha256, warn_unverified
from seqkit.errors import DataError
from seqkit.fileio import atomic_write

BASE = "https://nlp.stanford.edu/projects/nmt/data/iwslt15.en-vi/"
FILES = tuple(f"{stem}.{lang}" for stem in ("train", "tst2012", "tst2013", "vocab") for lang in ("en", "vi"))
SHA256: dict[str, str | None] = {name: None for name in FILES}  # unpinned: see the module docstring
SPLITS = {"train": "train", "dev": "tst2012", "test": "tst2013"}


def fetch_all(from_dir: str | Path | None, cache: str | Path | None) -> Path:
    """The folder holding the eight files: `from_dir`, or the cache after downloading what it lacks."""
    if from_dir:
        folder = Path(from_dir)
        holding = f"--from takes the folder holding the IWSLT'15 files ({', '.join(FILES)})"
        if not folder.is_dir():
            raise DataError(f"{folder}: " + ("not a folder" if folder.exists() else "no such folder")
                            + f"; {holding}")
        missing = [name for name in FILES if not (folder / name).is_file()]
        if missing:
            raise DataError(f"{folder}: missing {', '.join(missing)}; {holding}")
        for name in FILES:  # checked as download() checks a URL: each digest pinned, or a warning
            if SHA256[name] is None:
                warn_unverified(folder / name)
            else:
                verify_sha256(folder / name, SHA256[name], f"is this IWSLT'15's {name}?")
        return folder
    folder = Path(cache or cache_dir()) / "iwslt15.en-vi"
    for name in FILES:
        download(BASE + name, SHA256[name], folder / name)
    return folder


def prepare(out_dir: str | Path, from_file: str | Path | None = None,
            cache: str | Path | None = None) -> dict[str, Path]:
    """Write train/dev/test.{en,vi} (checked line-aligned) and vocab.{en,vi} into out_dir."""
    folder, out = fetch_all(from_file, cache), Path(out_dir)
    for stem in SPLITS.values():
        read_parallel(folder / f"{stem}.en", folder / f"{stem}.vi")  # line counts must match
    names = {f"{split}.{lang}": f"{stem}.{lang}" for split, stem in [*SPLITS.items(), ("vocab", "vocab")]
             for lang in ("en", "vi")}
    return {new: atomic_write(out / new, functools.partial(shutil.copyfile, folder / old))
            for new, old in names.items()}

"""IMDB Large Movie Review Dataset v1.0 (Maas et al., ACL 2011): 50,000 reviews labelled pos or neg.

The archive holds aclImdb/{train,test}/{pos,neg}/ID_RATING.txt, one review a file with HTML line
breaks, and unlabelled reviews in aclImdb/train/unsup (not used). The recipe writes label,text CSV
files that `seqkit train cnn-sentiment` reads: train.csv (22,500 reviews), valid.csv (2,500: a seeded
10% of the official train split, to select checkpoints on) and test.csv (the official 25,000); `<br />`
becomes a space. `--from` takes the archive (verified) or a folder it was unpacked into.
"""

from __future__ import annotations

import csv
import io
import re
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np

from seqkit.data.labeled import read_folders
from seqkit.data.text import decode_utf8
from seqkit.data_prep.fetch import cache_dir, download, verify_sha256, warn_unverified
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_text

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
# 84,125,825 bytes; the digest tensorflow-datasets and other public loaders pin.
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
CLASSES = ("neg", "pos")
VALID_SIZE = 2500
SEED = 0

Reviews = dict[str, list[tuple[str, str]]]  # split -> [(label, text)], by label then file name


def clean(text: str) -> str:
    """A review on one line: HTML line breaks become spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<br\s*/?>", " ", text)).strip()


def reviews_from_tar(path: str | Path) -> Reviews:
    """The labelled reviews of the official archive (no digest check)."""
    found: dict[str, list[tuple[str, str, str]]] = {"train": [], "test": []}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if (member.isfile() and len(parts) == 4 and parts[1] in found and parts[2] in CLASSES
                        and parts[3].endswith(".txt")):
                    text = decode_utf8(tar.extractfile(member).read(), member.name)
                    found[parts[1]].append((parts[2], parts[3], clean(text)))
    except (tarfile.TarError, EOFError) as e:
        raise DataError(f"{path}: not a readable tar archive ({e})") from None
    if not all(found.values()):
        raise DataError(f"{path}: no aclImdb/{{train,test}}/{{pos,neg}}/*.txt reviews; is this "
                        "aclImdb_v1.tar.gz?")
    return {split: [(label, text) for label, _, text in sorted(rows)] for split, rows in found.items()}


def reviews_from_folder(path: str | Path) -> Reviews:
    """The labelled reviews of an unpacked archive (the aclImdb folder or the folder holding it)."""
    root = Path(path)
    root = root / "aclImdb" if (root / "aclImdb").is_dir() else root
    reviews = {}
    for split in ("train", "test"):
        data = read_folders(root / split) if (root / split).is_dir() else None
        if data is None or set(data.labels) != set(CLASSES):
            raise DataError(f"{root}: expected {split}/pos and {split}/neg folders of .txt reviews")
        reviews[split] = [(label, clean(text)) for label, text in zip(data.labels, data.texts)]
    return reviews


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    """label,text rows as CSV (quoted where needed), atomically."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", "text"])
    writer.writerows(rows)
    return atomic_write_text(path, out.getvalue())


def prepare(out_dir: str | Path, from_file: str | Path | None = None,
            cache: str | Path | None = None) -> dict[str, Path]:
    """Write train.csv, valid.csv and test.csv (seeded order) into out_dir."""
    archive = Path(cache or cache_dir()) / "aclImdb_v1.tar.gz"
    src = Path(from_file) if from_file else download(URL, SHA256, archive)
    if src.is_dir():
        reviews = reviews_from_folder(src)
        warn_unverified(src, "is a folder; only the archive's sha256 is pinned")
    elif src.is_file():
        verify_sha256(src, SHA256, "is this aclImdb_v1.tar.gz? --from also takes the folder it unpacks into")
        reviews = reviews_from_tar(src)
    else:
        raise DataError(f"{src}: no such file or folder")
    rng = np.random.default_rng(SEED)
    train = [reviews["train"][i] for i in rng.permutation(len(reviews["train"]))]
    test = [reviews["test"][i] for i in rng.permutation(len(reviews["test"]))]
    cut = min(VALID_SIZE, len(train) // 10)
    out = Path(out_dir)
    return {"train": write_csv(out / "train.csv", train[cut:]),
            "valid": write_csv(out / "valid.csv", train[:cut]),
            "test": write_csv(out / "test.csv", test)}

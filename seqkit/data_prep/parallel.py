"""Any parallel corpus: two line-aligned files -> cleaned pairs in seeded train/dev/test splits.

Pairs with an empty side are dropped (and counted), white space is collapsed, and 1% of the pairs (at
least 1, at most 1,000) go to dev and as many to test. Files are named by split and language:
train.es/train.en from --src x.es --tgt x.en (src/tgt when the suffixes do not tell the languages apart).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from seqkit.data.parallel import read_parallel
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_text

SEED = 0
HELD_OUT = (0.01, 1, 1000)  # share, least, most pairs for dev and for test


def languages(src: Path, tgt: Path) -> tuple[str, str]:
    """The two file suffixes when they differ (es, en), else src and tgt."""
    a, b = src.suffix.lstrip("."), tgt.suffix.lstrip(".")
    return (a, b) if a and b and a != b else ("src", "tgt")


def prepare(out_dir: str | Path, from_file: str | Path | None = None, cache: str | Path | None = None,
            src: str | Path | None = None, tgt: str | Path | None = None) -> dict[str, Path]:
    """Write train/dev/test.{SRC,TGT} into out_dir from the --src and --tgt files."""
    if not (src and tgt):
        raise DataError("the parallel recipe takes two line-aligned files: --src FILE --tgt FILE")
    data = read_parallel(src, tgt)
    if data.skipped:
        print(f"dropped {data.skipped} pair(s) with an empty side", file=sys.stderr)
    share, least, most = HELD_OUT
    cut = min(most, max(least, int(len(data) * share)))
    if len(data) < 3 * cut:
        raise DataError(f"{src}: {len(data)} pair(s) are too few to split into train, dev and test")
    order = np.random.default_rng(SEED).permutation(len(data))
    splits = {"dev": order[:cut], "test": order[cut:2 * cut], "train": np.sort(order[2 * cut:])}
    out, langs = Path(out_dir), languages(Path(src), Path(tgt))
    paths = {}
    for split, index in splits.items():
        for lang, lines in zip(langs, (data.src, data.tgt)):
            text = "".join(" ".join(lines[i].split()) + "\n" for i in index)
            paths[f"{split}.{lang}"] = atomic_write_text(out / f"{split}.{lang}", text)
    return paths

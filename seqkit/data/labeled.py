"""Labelled text for classifiers: CSV/TSV or a folder per class -> (text, label) -> padded id batches.

Every example remembers where it came from ("FILE line N" or the file of a folder layout), so that a
bad label or text can be reported by its place. Rows whose text is empty are skipped and reported by
the caller (`LabeledData.skipped`); every other problem is a DataError naming the line.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqkit.data.text import decode_utf8
from seqkit.data.tokenize import tokenize
from seqkit.data.vocab import Vocab
from seqkit.errors import DataError

if TYPE_CHECKING:
    from seqkit.config import LabeledDataConfig

# The IMDB layout keeps unlabelled reviews beside the classes (aclImdb/train/unsup): not a class.
UNLABELLED_FOLDERS = ("unsup",)


@dataclass
class LabeledData:
    """Texts, their labels, and where each one was read (and where empty texts were skipped)."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, text: str, label: str, where: str) -> None:
        """Keep an example, or note it as skipped when its text is blank."""
        if not label:
            raise DataError(f"{where}: the label is empty")
        if not text.strip():
            self.skipped.append(where)
            return
        self.texts.append(text)
        self.labels.append(label)
        self.where.append(where)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int]) -> LabeledData:
        """The examples at `index`, in that order."""
        return LabeledData([self.texts[i] for i in index], [self.labels[i] for i in index],
                           [self.where[i] for i in index])


def delimiter_for(path: Path, delimiter: str) -> str:
    """`auto`: a tab for .tsv/.tab files, else a comma; `tab` and `comma` by name; else the character."""
    if delimiter == "auto":
        return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    return {"tab": "\t", "comma": ","}.get(delimiter, delimiter)


def read_table(path: Path, label_column: str, text_column: str, delimiter: str = "auto") -> LabeledData:
    """Rows of a CSV/TSV file with a header naming the label and text columns (TSV: no quoting)."""
    sep = delimiter_for(path, delimiter)
    text = decode_utf8(path.read_bytes(), str(path))
    quoting = csv.QUOTE_NONE if sep == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quoting=quoting)
    data = LabeledData()
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(f"{path}: the file is empty")
        missing = [c for c in (label_column, text_column) if c not in header]
        if missing:
            raise DataError(f"{path} line 1: no column {', '.join(map(repr, missing))} in the header "
                            f"({', '.join(map(repr, header))}); name the columns with --label-column "
                            "and --text-column")
        li, ti = header.index(label_column), header.index(text_column)
        start = reader.line_num
        for row in reader:
            where, start = f"{path} line {start + 1}", reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(f"{where}: {len(row)} fields, the header has {len(header)}; quote texts "
                                "that contain the delimiter")
            data.add(row[ti], row[li].strip(), where)
    except csv.Error as e:
        raise DataError(f"{path} line {reader.line_num}: not valid CSV ({e})") from None
    return data


def read_folders(path: Path) -> LabeledData:
    """A folder per class (the folder's name is the label), one UTF-8 .txt file per example."""
    data = LabeledData()
    classes = sorted(d for d in path.iterdir() if d.is_dir() and d.name not in UNLABELLED_FOLDERS)
    for folder in classes:
        for file in sorted(folder.glob("*.txt")):
            data.add(decode_utf8(file.read_bytes(), str(file)), folder.name, str(file))
    if not data.texts and not data.skipped:
        raise DataError(f"{path}: no class folders holding .txt files (expected {path}/LABEL/*.txt)")
    return data


def read_labeled(path: str | Path, label_column: str = "label", text_column: str = "text",
                 delimiter: str = "auto") -> LabeledData:
    """Labelled examples from a CSV/TSV file or a folder per class."""
    path = Path(path)
    if path.is_dir():
        data = read_folders(path)
    elif path.is_file():
        data = read_table(path, label_column, text_column, delimiter)
    else:
        raise DataError(f"{path}: no such file or folder")
    if not data.texts:
        raise DataError(f"{path}: no examples with text")
    return data


def label_ids(data: LabeledData, classes: Sequence[str], known: str = "the classes") -> np.ndarray:
    """int32 class ids of the labels; DataError naming the first example whose label is not a class
    (`known` says whose classes they are: the run's, or the training data's)."""
    index = {c: i for i, c in enumerate(classes)}
    for label, where in zip(data.labels, data.where):
        if label not in index:
            raise DataError(f"{where}: label {label!r} is not one of {known} ({', '.join(classes)})")
    return np.array([index[label] for label in data.labels], np.int32)


def tokenize_texts(texts: Sequence[str], scheme: str, lowercase: bool) -> list[list[str]]:
    """Each text's tokens (whole: the vocabulary counts them all)."""
    return [tokenize(t, scheme, lowercase) for t in texts]


def encode_tokens(token_lists: Sequence[Sequence[str]], vocab: Vocab, max_len: int) -> list[np.ndarray]:
    """Each text's first max_len tokens as ids, unknown words as <unk>."""
    return [vocab.encode(tokens[:max_len]) for tokens in token_lists]


def pad_batch(seqs: Sequence[np.ndarray], min_len: int = 1) -> np.ndarray:
    """[batch, time] int32 ids, padded with 0 to the longest sequence (at least min_len)."""
    out = np.zeros((len(seqs), max([min_len, *map(len, seqs)])), np.int32)
    for row, s in zip(out, seqs):
        row[:len(s)] = s
    return out


class EpochBatches:
    """Endless batches of example indices: epoch e is a permutation seeded by (seed, e), read in order
    across epoch boundaries, so every batch is full and `offset` (examples served) is the whole
    position a checkpoint needs for an exact resume."""

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.offset = 0
        self._epoch, self._order = -1, np.arange(0)

    @property
    def steps_per_epoch(self) -> int:
        """Steps to serve every example once (the last batch of an epoch runs into the next)."""
        return -(-self.n // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """The example order of one epoch."""
        if epoch != self._epoch:
            self._epoch, self._order = epoch, np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._order

    def __iter__(self) -> EpochBatches:
        return self

    def __next__(self) -> np.ndarray:
        pos = self.offset + np.arange(self.batch_size)
        index = np.empty(self.batch_size, np.int64)
        for epoch in np.unique(pos // self.n):
            here = pos // self.n == epoch
            index[here] = self.order(int(epoch))[pos[here] % self.n]
        self.offset += self.batch_size
        return index


def read_data(path: str, cfg: LabeledDataConfig) -> LabeledData:
    """Labelled examples with the run's column settings; skipped empty texts are reported on stderr."""
    data = read_labeled(path, cfg.label_column, cfg.text_column, cfg.delimiter)
    if data.skipped:
        shown = ", ".join(data.skipped[:3]) + (", ..." if len(data.skipped) > 3 else "")
        print(f"skipped {len(data.skipped)} example(s) with empty text: {shown}", file=sys.stderr)
    return data


def train_valid_data(cfg: LabeledDataConfig) -> tuple[LabeledData, LabeledData]:
    """(train, validation): the files given, or a seeded valid_fraction of --train held out.

    Training data of one class is an error: the model could only ever answer that label, yet its
    validation would score accuracy and macro-F1 1.0. So is a class that the hold-out takes whole."""
    train = read_data(cfg.train, cfg)
    if len(set(train.labels)) < 2:
        raise DataError(f"{cfg.train}: every example has the label {train.labels[0]!r}; a classifier needs "
                        "examples of at least two classes")
    if cfg.valid:
        return train, read_data(cfg.valid, cfg)
    order = np.random.default_rng(cfg.seed).permutation(len(train))
    cut = max(1, int(round(len(train) * cfg.valid_fraction)))
    if cut >= len(train):
        raise DataError(f"{cfg.train}: {len(train)} example(s) are too few to hold out validation data; "
                        "give --valid FILE")
    kept, held = train.subset(order[cut:]), train.subset(order[:cut])
    lost = sorted(set(held.labels) - set(kept.labels))
    if lost:
        raise DataError(f"{cfg.train}: every example of class {lost[0]!r} fell in the held-out validation "
                        "share, leaving none to train on; give more examples of it, or --valid FILE")
    return kept, held

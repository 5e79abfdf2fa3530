"""Parallel corpora: two aligned files -> checked, filtered id pairs -> length-bucketed, padded batches.

Pairs are kept as unpadded id arrays; a batch is padded only when it is served, to its own longest
sentence. Each epoch's batch plan is a pure function of (seed, epoch), so the number of batches served
and the batch index within it are the whole data position a checkpoint needs for an exact resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.data.labeled import pad_batch
from seqkit.data.subword import Codec
from seqkit.data.text import read_text, split_lines
from seqkit.data.vocab import Vocab
from seqkit.errors import DataError

POOL = 100  # batches' worth of pairs sorted together: similar lengths share a batch, order stays random


@dataclass
class ParallelText:
    """Aligned sentence pairs and how many empty pairs were dropped."""

    src: list[str]
    tgt: list[str]
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.src)


def read_parallel(src_path: str | Path, tgt_path: str | Path) -> ParallelText:
    """Pairs of two line-aligned files; a pair where either side is blank is skipped and counted."""
    src, tgt = split_lines(read_text(src_path)), split_lines(read_text(tgt_path))
    if len(src) != len(tgt):
        raise DataError(f"{src_path} has {len(src)} lines but {tgt_path} has {len(tgt)}; the files must be "
                        "line-aligned (one sentence and its translation on the same line number)")
    keep = [i for i, (s, t) in enumerate(zip(src, tgt)) if s.strip() and t.strip()]
    if not keep:
        raise DataError(f"{src_path}, {tgt_path}: no line pair has text on both sides")
    return ParallelText([src[i].strip() for i in keep], [tgt[i].strip() for i in keep], len(src) - len(keep))


def encode_pairs(data: ParallelText, src_codec: Codec, tgt_codec: Codec) -> tuple[list[np.ndarray], ...]:
    """(source ids, target ids) of every pair."""
    return [src_codec.encode(s) for s in data.src], [tgt_codec.encode(t) for t in data.tgt]


def length_filter(src: Sequence[np.ndarray], tgt: Sequence[np.ndarray], max_len: int,
                  max_ratio: float) -> np.ndarray:
    """Indices of pairs with both sides non-empty, at most max_len tokens (0: any) and a length ratio
    (longer / shorter) of at most max_ratio (0: any)."""
    s, t = np.array([len(x) for x in src]), np.array([len(x) for x in tgt])
    keep = (s > 0) & (t > 0)
    if max_len:
        keep &= (s <= max_len) & (t <= max_len)
    if max_ratio:
        keep &= np.maximum(s, t) <= max_ratio * np.maximum(np.minimum(s, t), 1)
    return np.flatnonzero(keep)


def target_io(tgt: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Padded decoder inputs (<s> y) and outputs (y </s>) for teacher forcing."""
    return (pad_batch([np.concatenate([[Vocab.bos_id], t]) for t in tgt]),
            pad_batch([np.concatenate([t, [Vocab.eos_id]]) for t in tgt]))


def plan_batches(lengths: np.ndarray, batch_tokens: int, batch_size: int, rng: np.random.Generator,
                 pool: int = POOL) -> list[np.ndarray]:
    """One epoch's batches of pair indices: shuffle, sort pools of similar lengths, cut by padded tokens
    (longest x count <= batch_tokens) or by sentences (batch_size), then shuffle the batches."""
    order = rng.permutation(len(lengths))
    per_pool = pool * (batch_size or max(1, batch_tokens // max(1, int(np.median(lengths)))))
    batches: list[np.ndarray] = []
    for start in range(0, len(order), per_pool):
        chunk = order[start:start + per_pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        if batch_size:
            batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
            continue
        begin = 0
        for i in range(1, len(chunk) + 1):  # sorted ascending: the padded width is the last one's length
            if i == len(chunk) or lengths[chunk[i]] * (i + 1 - begin) > batch_tokens:
                batches.append(chunk[begin:i])
                begin = i
    return [batches[i] for i in rng.permutation(len(batches))]


class PairBatches:
    """Endless (source, target in, target out) padded batches; (epoch, index) is the position."""

    def __init__(self, src: Sequence[np.ndarray], tgt: Sequence[np.ndarray], batch_tokens: int,
                 batch_size: int, seed: int) -> None:
        self.src, self.tgt = list(src), list(tgt)
        self.lengths = np.array([max(len(s), len(t) + 1) for s, t in zip(self.src, self.tgt)])
        self.batch_tokens, self.batch_size, self.seed = batch_tokens, batch_size, seed
        self.epoch = self.index = 0
        self._epoch, self._plan = -1, []
        self.steps_per_epoch = len(self.plan(0))

    def plan(self, epoch: int) -> list[np.ndarray]:
        """The batches of one epoch (cached)."""
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            plan = plan_batches(self.lengths, self.batch_tokens, self.batch_size, rng)
            self._epoch, self._plan = epoch, plan
        return self._plan

    def __iter__(self) -> PairBatches:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.index >= len(self.plan(self.epoch)):
            self.epoch, self.index = self.epoch + 1, 0
        batch = self.plan(self.epoch)[self.index]
        self.index += 1
        return (pad_batch([self.src[i] for i in batch]), *target_io([self.tgt[i] for i in batch]))

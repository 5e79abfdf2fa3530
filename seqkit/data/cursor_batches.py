"""Cursor-based unrolled minibatches over one long id stream (the seed's BatchGenerator, vectorised).

B cursors start at offsets k * (N // B). Each step yields T + 1 characters per cursor: inputs are the
first T, targets the last T. The cursor then advances by T, so the next step starts at this step's last
target and each stream continues where it stopped; the RNN state is carried across steps to match.

With `reset_every` = K, stream b's state is cleared at the steps where (step + b) % K == 0: a 1/K share
of the streams starts afresh at every step. Without it, a stream's state is never reset, and an LSTM
learns to lean on cell units that drift for 100,000 characters; from the zero state that sampling and
evaluation start with, such a model measured 2.15 nats/char where its carried state gave 1.38.
"""

from __future__ import annotations

import numpy as np

from seqkit.errors import DataError


class CursorBatches:
    """Infinite (inputs, targets [B, T], keep [B]) batches; keep is 0 where a stream's state resets.

    `cursors` and `step` are the whole position, for checkpoints.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, seq_len: int, reset_every: int = 0) -> None:
        if len(ids) < batch_size * (seq_len + 1):
            raise DataError(f"the training text has {len(ids)} characters; batch size {batch_size} x "
                            f"unrollings {seq_len} needs at least {batch_size * (seq_len + 1)}")
        self.ids, self.seq_len, self.reset_every = ids, seq_len, reset_every
        segment = len(ids) // batch_size
        self.cursors = np.arange(batch_size, dtype=np.int64) * segment
        self.step = 0
        self._window = np.arange(seq_len + 1, dtype=np.int64)
        self._streams = np.arange(batch_size, dtype=np.int64)

    def __iter__(self) -> CursorBatches:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        chunk = self.ids[(self.cursors[:, None] + self._window) % len(self.ids)].astype(np.int32)
        keep = np.ones(len(self.cursors), np.float32)
        if self.reset_every:
            keep[(self.step + self._streams) % self.reset_every == 0] = 0.0
        self.cursors = (self.cursors + self.seq_len) % len(self.ids)
        self.step += 1
        return chunk[:, :-1], chunk[:, 1:], keep


def eval_windows(ids: np.ndarray, batch_size: int, seq_len: int):
    """Cover a split exactly once: B contiguous streams, T-step windows, state carried between them.

    Yields (inputs, targets) of shape [B, t <= T]; every character but the first of each stream (and a
    remainder shorter than B) is predicted exactly once.
    """
    length = (len(ids) - 1) // batch_size
    if length < 1:
        raise DataError(f"the evaluation text has {len(ids)} characters; it needs more than {batch_size}")
    starts = np.arange(batch_size, dtype=np.int64)[:, None] * length
    for t0 in range(0, length, seq_len):
        t = min(seq_len, length - t0)
        pos = starts + t0 + np.arange(t + 1, dtype=np.int64)
        chunk = ids[pos].astype(np.int32)
        yield chunk[:, :-1], chunk[:, 1:]

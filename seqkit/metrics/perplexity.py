"""Nats and bits per character of a language model over a whole text, with state carried."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from seqkit.data.cursor_batches import eval_windows


def bits(nats: float) -> float:
    """Bits from nats (bpc = nats / ln 2)."""
    return nats / math.log(2)


def compiled_forward(model) -> Callable:
    """model(x, state, targets) compiled once; the targets matter only to teacher-forced models."""
    return tf.function(lambda x, state, y: model(x, state, targets=y, training=False), reduce_retracing=True)


def lm_nats(model, ids: np.ndarray, batch_size: int, seq_len: int, forward: Callable | None = None,
            reset: bool = False) -> dict:
    """Mean nats per predicted character over all of `ids`, B streams carrying their state from window to
    window, or with `reset` each window of `seq_len` read on its own (the protocol of nanoGPT's and the
    TF tutorial's figures)."""
    forward = forward or compiled_forward(model)
    batch_size = max(1, min(batch_size, (len(ids) - 1) // 2))
    state = model.initial_state(batch_size)
    total, count = 0.0, 0
    for x, y in eval_windows(ids, batch_size, seq_len):
        if reset:
            state = model.fresh_state(batch_size)
        logits, state = forward(x, state, y)
        total += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)))
        count += y.size
    return {"loss": total / count, "bpc": bits(total / count), "chars": count}

"""One decoding loop for greedy search, sampling and beam search over any
`step(ids [rows], state, context) -> (logits [rows, V], state, extras)`.

Each sentence has `strategy.width` rows (its hypotheses) and the whole batch x width runs in one
tf.while_loop: no Python per step, eagerly, in tf.function or under XLA. A step applies log_softmax and
the constraints (banned ids, min/max length, repeated n-grams); the strategy picks the extensions that
live on; state and ids follow their parents; those ending in </s> move to a pool of the `width` best
finished hypotheses, scored as GNMT: logp / lp(|Y|) + beta * cp, lp = ((5 + |Y|) / 6)^alpha (|Y| counts
</s>), cp = sum over source words of log(min(attention the hypothesis gave them, 1)). Live hypotheses
are ranked by logp sum. A sentence is done when its nbest-th finished score reaches the best live logp
sum / lp(current length) ("early") or / lp(its max length) ("exact", a bound), or nothing is alive.
Greedy search is width 1 with alpha = beta = 0, so its score is the logp sum of its output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from seqkit.decoding.strategies import DecodingStrategy
from seqkit.errors import ConfigError

NEG = -1e9  # log-probability of a forbidden id or a dead hypothesis; finite, so sums stay finite
Step = Callable[[tf.Tensor, Any, Any], tuple[tf.Tensor, Any, dict]]


class Decoded(NamedTuple):
    """Best first: ids [batch, k, T] (</s> included, 0 after it), scores [batch, k] (NEG: empty slot),
    lengths [batch, k] (counting </s>), and how many steps the loop ran."""

    ids: tf.Tensor
    scores: tf.Tensor
    lengths: tf.Tensor
    steps: tf.Tensor


def length_penalty(length: tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT's ((5 + |Y|) / 6)^alpha."""
    return ((5.0 + tf.cast(length, tf.float32)) / 6.0) ** alpha


def coverage_penalty(coverage: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """GNMT's sum over unpadded source positions of log(min(attention received, 1)), without beta."""
    return tf.reduce_sum(tf.where(mask, tf.math.log(tf.clip_by_value(coverage, 1e-10, 1.0)), 0.0), -1)


def repeated_ngrams(history: tf.Tensor, t: tf.Tensor, n: int, vocab: int) -> tf.Tensor:
    """[rows, vocab] True for the ids that would complete an n-gram already in a row's history[:, :t]."""
    rows, starts = tf.shape(history)[0], tf.shape(history)[1] - n + 1  # windows history[:, j:j + n]
    match = tf.broadcast_to(tf.range(starts) <= t - n, [rows, starts])  # window j lies before t
    for k in range(n - 1):  # ... and starts with the last n - 1 ids
        match &= history[:, k:k + starts] == tf.gather(history, tf.maximum(t - n + 1 + k, 0), axis=1)[:, None]
    following = history[:, n - 1:]
    index = tf.stack([tf.broadcast_to(tf.range(rows)[:, None], tf.shape(following)), following], -1)
    return tf.scatter_nd(index, tf.cast(match, tf.int32), [rows, vocab]) > 0


def decode(step: Step, state: Any, context: Any, start_ids: tf.Tensor, max_len: tf.Tensor | int,
           strategy: DecodingStrategy, *, eos_id: int | None = None, banned: Sequence[int] = (),
           min_len: int = 0, no_repeat_ngram: int = 0, seed: tf.Tensor | int = 0,
           source_mask: tf.Tensor | None = None) -> Decoded:
    """Decode `start_ids` [batch] for at most `max_len` ([batch] or one int) ids with `strategy`.

    `state` and `context` are nests of [batch, ...] tensors (the engine tiles them to the beam); with
    `eos_id`, </s> is forbidden before `min_len` ids and forced at a row's max_len; without it (language
    models) every row runs max(max_len) steps. `source_mask` [batch, src] is needed for beta > 0, and
    then `step` must return extras["attention"] [rows, src]. Under XLA, max(max_len) is compiled in as
    a constant (a Python int is best: a new value means a new compilation).
    """
    if min_len < 0 or no_repeat_ngram < 0:
        raise ConfigError(f"min_len and no_repeat_ngram must be >= 0, not {min_len} and {no_repeat_ngram}")
    width, nbest, alpha, beta = strategy.width, strategy.nbest, strategy.alpha, strategy.beta
    if beta > 0 and source_mask is None:
        raise ConfigError("the coverage penalty (beta > 0) needs source_mask")
    start_ids = tf.convert_to_tensor(start_ids, tf.int32)
    batch = start_ids.shape[0] or tf.shape(start_ids)[0]
    rows = batch * width
    static_max = tf.get_static_value(max_len)
    max_len = tf.broadcast_to(tf.cast(max_len, tf.int32), [batch])
    longest = tf.reduce_max(max_len) if static_max is None else int(np.max(static_max))

    def tile(x: tf.Tensor) -> tf.Tensor:
        return tf.repeat(x, width, axis=0) if width > 1 else x

    state, context, row_max_len = tf.nest.map_structure(tile, (state, context, max_len))
    mask = tile(tf.convert_to_tensor(source_mask, tf.bool)) if beta > 0 else None
    stop_lp = length_penalty(max_len, alpha)  # "exact": no live hypothesis can beat best / this
    offsets = tf.range(batch)[:, None] * width
    seed = tf.cast(seed, tf.int32)

    def constrain(logp: tf.Tensor, t: tf.Tensor, history: tf.Tensor) -> tf.Tensor:
        """logp with NEG where a banned id, a too early or missing </s>, or a repeated n-gram would go."""
        vocab_ids = tf.range(tf.shape(logp)[-1])
        forbid = tf.reduce_any(vocab_ids[:, None] == tf.constant([*banned, -1], tf.int32), -1)[None]
        if eos_id is not None:  # at a row's last position only </s>, else no </s> before min_len
            is_eos = vocab_ids == eos_id
            forbid = forbid | tf.where((t + 1 >= row_max_len)[:, None], ~is_eos, is_eos & (t < min_len))
        if no_repeat_ngram:
            forbid = forbid | repeated_ngrams(history, t, no_repeat_ngram, tf.shape(logp)[-1])
        return tf.where(forbid, NEG, logp)

    def advance(t, ids, state, history, alive, pool_ids, pool_score, pool_len, coverage):
        logits, state, extras = step(ids, state, context)
        logp = constrain(tf.nn.log_softmax(logits), t, history)
        vocab = logp.shape[-1] or tf.shape(logp)[-1]
        top, index = strategy.select(alive, tf.reshape(logp, [-1, width, vocab]), tf.stack([seed, t]))
        word, live = tf.reshape(index % vocab, [rows]), top > NEG / 2
        if beta > 0:
            if "attention" not in extras:
                raise ConfigError("the coverage penalty (beta > 0) needs extras['attention'] from step")
            coverage += extras["attention"]  # this step's attention belongs to the parent: add, then gather
        if width > 1:
            parent = tf.reshape(index // vocab + offsets, [rows])
            state, history, coverage = tf.nest.map_structure(lambda x: tf.gather(x, parent),
                                                             (state, history, coverage))
        history = record(history, t, tf.where(tf.reshape(live, [rows]), word, 0))
        if eos_id is not None:
            ended = live & (tf.reshape(word, [-1, width]) == eos_id)
            score = top / length_penalty(t + 1, alpha)
            if beta > 0:
                score += beta * tf.reshape(coverage_penalty(coverage, mask), [-1, width])
            pool_score, keep = tf.math.top_k(tf.concat([pool_score, tf.where(ended, score, NEG)], 1), width)
            lengths = tf.concat([pool_len, tf.fill(tf.shape(ended), t + 1)], 1)
            pool_len = tf.gather(lengths, keep, batch_dims=1)
            if width > 1:  # width 1: the pool's ids are the history, zero after </s>
                seqs = tf.reshape(history, [-1, width, longest])
                pool_ids = tf.gather(tf.concat([pool_ids, seqs], 1), keep, batch_dims=1)
            live &= ~ended
        alive = tf.where(live, top, NEG)
        best = tf.reduce_max(alive, 1)
        bound = best / (length_penalty(t + 1, alpha) if strategy.stop == "early" else stop_lp)
        done = (pool_score[:, nbest - 1] >= bound) | (best <= NEG / 2)
        alive = tf.where(done[:, None], NEG, alive)  # a done sentence adds nothing more to its pool
        return t + 1, word, state, history, alive, pool_ids, pool_score, pool_len, coverage

    def record(history: Any, t: tf.Tensor, ids: tf.Tensor) -> Any:
        """history with `ids` in column t: O(1) in a TensorArray, which is enough when nothing reads it."""
        if isinstance(history, tf.TensorArray):
            return history.write(t, ids)
        return tf.tensor_scatter_nd_update(history, tf.stack([tf.range(rows), tf.fill([rows], t)], 1), ids)

    def body(*loop):  # gathers (and steps) may lose the static shapes that tf.while_loop wants kept
        keep = lambda new, old: tf.ensure_shape(new, old.shape) if isinstance(new, tf.Tensor) else new  # noqa: E731
        return tf.nest.map_structure(keep, advance(*loop), loop)

    def cond(t, ids, state, history, alive, *_):
        return (t < longest) & tf.reduce_any(alive > NEG / 2)

    ids = tile(start_ids)
    read_back = width > 1 or no_repeat_ngram > 0  # beams gather the history, n-gram blocking reads it
    history = (tf.zeros([rows, longest], tf.int32) if read_back else
               tf.TensorArray(tf.int32, size=longest, element_shape=ids.shape))
    loop = (tf.constant(0), ids, state, history,
            tf.tile(tf.constant([[0.0] + [NEG] * (width - 1)]), [batch, 1]),  # first step: only slot 0
            tf.zeros([batch, width, longest], tf.int32) if width > 1 and eos_id is not None else (),
            tf.fill([batch, width], NEG), tf.zeros([batch, width], tf.int32),
            tf.zeros(tf.shape(mask)) if beta > 0 else ())
    t, _, _, history, alive, pool_ids, pool_score, pool_len, _ = tf.while_loop(cond, body, loop)
    history = history if read_back else tf.transpose(history.stack())
    if eos_id is None:  # nothing finished: the live hypotheses, all of length t, are the outputs
        ids, scores = tf.reshape(history, [-1, width, longest]), alive / length_penalty(t, alpha)
        lengths = tf.fill([batch, width], t)
    else:
        ids, scores, lengths = pool_ids if width > 1 else history[:, None], pool_score, pool_len
    empty = scores[:, :nbest] <= NEG / 2
    return Decoded(tf.where(empty[..., None], 0, ids[:, :nbest]), tf.where(empty, NEG, scores[:, :nbest]),
                   tf.where(empty, 0, lengths[:, :nbest]), t)

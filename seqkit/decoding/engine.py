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
The pools are kept per original sentence; a done sentence's rows leave the loop (state, context, history
and all, by one gather in the steps where some sentence got done), so the later steps run on fewer rows.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from seqkit.decoding.samplers import Argmax
from seqkit.decoding.strategies import DecodingStrategy, GreedySearch
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
           source_mask: tf.Tensor | None = None, compact: bool = True) -> Decoded:
    """Decode `start_ids` [batch] for at most `max_len` ([batch] or one int) ids with `strategy`.

    `state` and `context` are nests of [batch, ...] tensors (the engine tiles them to the beam); with
    `eos_id`, </s> is forbidden before `min_len` ids and forced at a row's max_len; without it (language
    models) every row runs max(max_len) steps. With `eos_id` and `compact`, the rows of a done sentence
    leave the loop (state, context and all), so later steps run on fewer rows; XLA needs compact=False.
    `source_mask` [batch, src] is needed for beta > 0, and then `step` must return extras["attention"]
    [rows, src]. Under XLA, max(max_len) is compiled in as a constant (a Python int is best: a new value
    means a new compilation).
    """
    if min_len < 0 or no_repeat_ngram < 0:
        raise ConfigError(f"min_len and no_repeat_ngram must be >= 0, not {min_len} and {no_repeat_ngram}")
    width, nbest, alpha, beta = strategy.width, strategy.nbest, strategy.alpha, strategy.beta
    if beta > 0 and source_mask is None:
        raise ConfigError("the coverage penalty (beta > 0) needs source_mask")
    compact = compact and eos_id is not None
    # a draw depends on the shape it is drawn in: compacted sampling draws in the full batch's shape
    draws = compact and isinstance(strategy, GreedySearch) and not isinstance(strategy.sampler, Argmax)
    start_ids = tf.convert_to_tensor(start_ids, tf.int32)
    batch = start_ids.shape[0] or tf.shape(start_ids)[0]
    static_max = tf.get_static_value(max_len)
    max_len = tf.broadcast_to(tf.cast(max_len, tf.int32), [batch])
    longest = tf.reduce_max(max_len) if static_max is None else int(np.max(static_max))
    seed = tf.cast(seed, tf.int32)

    def tile(x: tf.Tensor) -> tf.Tensor:
        return tf.repeat(x, width, axis=0) if width > 1 else x

    def constrain(logp: tf.Tensor, t: tf.Tensor, history: tf.Tensor, row_max_len: tf.Tensor) -> tf.Tensor:
        """logp with NEG where a banned id, a too early or missing </s>, or a repeated n-gram would go."""
        vocab_ids, forbid = tf.range(tf.shape(logp)[-1]), []
        if banned:
            forbid.append(tf.reduce_any(vocab_ids[:, None] == tf.constant(banned, tf.int32), -1)[None])
        if eos_id is not None:  # at a row's last position only </s>, else no </s> before min_len
            is_eos = vocab_ids == eos_id
            forbid.append(tf.where((t + 1 >= row_max_len)[:, None], ~is_eos, is_eos & (t < min_len)))
        if no_repeat_ngram:
            forbid.append(repeated_ngrams(history, t, no_repeat_ngram, tf.shape(logp)[-1]))
        return tf.where(functools.reduce(operator.or_, forbid), NEG, logp) if forbid else logp

    def select(alive: tf.Tensor, logp: tf.Tensor, t: tf.Tensor, sentence: tf.Tensor):
        """strategy.select, drawing for the active sentences what they would draw in the full batch."""
        if not draws:
            return strategy.select(alive, logp, tf.stack([seed, t]))
        full = lambda x: tf.scatter_nd(sentence[:, None], x, tf.concat([[batch], tf.shape(x)[1:]], 0))  # noqa: E731
        found = strategy.select(full(alive), full(logp), tf.stack([seed, t]))
        return tuple(tf.gather(x, sentence) for x in found)

    def advance(t, pools, sentences, rows):
        """One step: extend the live hypotheses, pool the finished ones, drop (or mute) done sentences."""
        alive, sentence = sentences
        ids, state, history, coverage, context, row_max_len, mask = rows
        logits, state, extras = step(ids, state, context)
        logp = constrain(tf.nn.log_softmax(logits), t, history, row_max_len)
        vocab = logp.shape[-1] or tf.shape(logp)[-1]
        top, index = select(alive, tf.reshape(logp, [-1, width, vocab]), t, sentence)
        word, live = tf.reshape(index % vocab, [-1]), top > NEG / 2
        if beta > 0:
            if "attention" not in extras:
                raise ConfigError("the coverage penalty (beta > 0) needs extras['attention'] from step")
            coverage += extras["attention"]  # this step's attention belongs to the parent: add, then gather
        if width > 1:
            parent = tf.reshape(index // vocab + tf.range(tf.shape(top)[0])[:, None] * width, [-1])
            state, history, coverage = tf.nest.map_structure(lambda x: tf.gather(x, parent),
                                                             (state, history, coverage))
        history = record(history, t, tf.where(tf.reshape(live, [-1]), word, 0))
        if eos_id is not None:  # the pools are per original sentence: gather the active ones, scatter back
            ended = live & (tf.reshape(word, [-1, width]) == eos_id)
            score = top / length_penalty(t + 1, alpha)
            if beta > 0:
                score += beta * tf.reshape(coverage_penalty(coverage, mask), [-1, width])
            scores, lengths, seqs = tf.nest.map_structure(lambda x: tf.gather(x, sentence), pools)
            scores, keep = tf.math.top_k(tf.concat([scores, tf.where(ended, score, NEG)], 1), width)
            pick = lambda old, new: tf.gather(tf.concat([old, new], 1), keep, batch_dims=1)  # noqa: E731
            found = (scores, pick(lengths, tf.fill(tf.shape(ended), t + 1)),
                     pick(seqs, tf.reshape(history, [-1, width, longest])) if pooled else ())
            put = lambda pool, new: tf.tensor_scatter_nd_update(pool, sentence[:, None], new)  # noqa: E731
            pools = tf.nest.map_structure(put, pools, found)
            live &= ~ended
        alive = tf.where(live, top, NEG)
        sentences, rows = (alive, sentence), (word, state, history, coverage, context, row_max_len, mask)
        if eos_id is None:  # nothing pools, so nothing is done before the end (or all ids are forbidden)
            return t + 1, pools, sentences, rows
        best = tf.reduce_max(alive, 1)
        stop_lp = length_penalty(row_max_len[::width], alpha)  # "exact": no live hypothesis beats best / this
        bound = best / (length_penalty(t + 1, alpha) if strategy.stop == "early" else stop_lp)
        done = (scores[:, nbest - 1] >= bound) | (best <= NEG / 2)
        sentences = (tf.where(done[:, None], NEG, alive), sentence)  # done: adds nothing more to its pool
        if compact:
            sentences, rows = tf.cond(tf.reduce_any(done), lambda: drop(~done, sentences, rows),
                                      lambda: (sentences, rows))
        return t + 1, pools, sentences, rows

    def drop(keep: tf.Tensor, sentences: Any, rows: Any) -> tuple[Any, Any]:
        """Only the sentences (and their rows) that `keep` [active] marks."""
        kept = tf.cast(tf.where(keep)[:, 0], tf.int32)
        kept_rows = tf.reshape(kept[:, None] * width + tf.range(width), [-1])
        return (tf.nest.map_structure(lambda x: tf.gather(x, kept), sentences),
                tf.nest.map_structure(lambda x: tf.gather(x, kept_rows), rows))

    def record(history: Any, t: tf.Tensor, ids: tf.Tensor) -> Any:
        """history with `ids` in column t: O(1) in a TensorArray, which is enough when nothing reads it."""
        if isinstance(history, tf.TensorArray):
            return history.write(t, ids)
        rows = tf.shape(ids)[0]
        return tf.tensor_scatter_nd_update(history, tf.stack([tf.range(rows), tf.fill([rows], t)], 1), ids)

    def shapes(nest: Any, shrinks: bool) -> Any:
        """The shape tf.while_loop keeps of each loop tensor: all of it, or (rows that shrink) only the last
        axis, so that a state may also grow along its middle axes (a Transformer's key/value cache)."""
        def shape(x: tf.Tensor) -> tf.TensorShape:
            if not shrinks:
                return x.shape
            return tf.TensorShape([None] * max(x.shape.rank - 1, 1)).concatenate(x.shape[1:][-1:])
        return tf.nest.map_structure(lambda x: shape(x) if isinstance(x, tf.Tensor) else None, nest)

    def body(t, pools, sentences, rows):  # gathers (and steps) may lose the static shapes it wants kept
        keep = lambda new, shape: tf.ensure_shape(new, shape) if isinstance(new, tf.Tensor) else new  # noqa: E731
        return tf.nest.map_structure(keep, advance(t, pools, sentences, rows), invariants)

    def cond(t, pools, sentences, rows):
        return (t < longest) & tf.reduce_any(sentences[0] > NEG / 2)

    ids = tile(start_ids)
    pooled = eos_id is not None and (width > 1 or compact)  # else the pool's ids are the history
    read_back = width > 1 or no_repeat_ngram > 0 or compact  # gathered by parent or row, or read by n-grams
    history = (tf.zeros([batch * width, longest], tf.int32) if read_back else
               tf.TensorArray(tf.int32, size=longest, element_shape=ids.shape))
    mask = tile(tf.convert_to_tensor(source_mask, tf.bool)) if beta > 0 else ()
    state, context, row_max_len = tf.nest.map_structure(tile, (state, context, max_len))
    pools = (tf.fill([batch, width], NEG), tf.zeros([batch, width], tf.int32),  # scores, lengths, ids
             tf.zeros([batch, width, longest], tf.int32) if pooled else ())
    sentences = (tf.tile(tf.constant([[0.0] + [NEG] * (width - 1)]), [batch, 1]),  # first step: only slot 0
                 tf.range(batch))
    rows = (ids, state, history, tf.zeros(tf.shape(mask)) if beta > 0 else (), context, row_max_len, mask)
    loop = (tf.constant(0), pools, sentences, rows)
    invariants = (tf.TensorShape([]), shapes(pools, False), shapes(sentences, compact), shapes(rows, compact))
    t, pools, (alive, _), (_, _, history, *_) = tf.while_loop(
        cond, body, loop, shape_invariants=invariants if compact else None)
    pool_score, pool_len, pool_ids = pools
    history = history if read_back else tf.transpose(history.stack())
    if eos_id is None:  # nothing finished: the live hypotheses, all of length t, are the outputs
        ids, scores = tf.reshape(history, [-1, width, longest]), alive / length_penalty(t, alpha)
        lengths = tf.fill([batch, width], t)
    else:
        ids, scores, lengths = pool_ids if pooled else history[:, None], pool_score, pool_len
    empty = scores[:, :nbest] <= NEG / 2
    return Decoded(tf.where(empty[..., None], 0, ids[:, :nbest]), tf.where(empty, NEG, scores[:, :nbest]),
                   tf.where(empty, 0, lengths[:, :nbest]), t)

"""Greedy and beam search over any `step(ids, state, context) -> (logits, state, weights)`, each one
tf.while_loop over the whole batch (x beam): no Python per output word once compiled.

Beam search keeps `beam` live hypotheses per sentence; at every step the best `beam` extensions are
taken, those that end in </s> move to a separate pool of finished hypotheses (scored with the GNMT
length penalty lp(Y) = ((5 + |Y|) / 6)^alpha, |Y| counting </s>, plus an optional coverage penalty
beta * sum_i log(min(attention mass on source word i, 1))), and their live slots die. A sentence stops
when its n-th best finished score beats the best any live hypothesis could still reach, or at its
maximum length, where </s> is forced. Width 1 is greedy search.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from seqkit.data.vocab import Vocab

NEG = -1e9  # log-probability of a forbidden word or a dead hypothesis; finite, so sums stay finite
Step = Callable[[tf.Tensor, tuple, tuple], tuple[tf.Tensor, tuple, tf.Tensor]]


def length_penalty(length: tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT's ((5 + |Y|) / 6)^alpha."""
    return ((5.0 + tf.cast(length, tf.float32)) / 6.0) ** alpha


def coverage_penalty(coverage: tf.Tensor, mask: tf.Tensor, beta: float) -> tf.Tensor:
    """GNMT's beta * sum over source words of log(min(attention received, 1)), padding left out."""
    logs = tf.math.log(tf.clip_by_value(coverage, 1e-10, 1.0))
    return beta * tf.reduce_sum(tf.where(mask, logs, 0.0), -1)


def allowed(logp: tf.Tensor, t: tf.Tensor, min_len: int, max_len: tf.Tensor) -> tf.Tensor:
    """Log-probabilities with <pad> and <s> forbidden, </s> forbidden before min_len words and every
    other word forbidden at the last position max_len (a [rows] tensor)."""
    vocab = tf.range(tf.shape(logp)[-1])
    banned = (vocab == Vocab.pad_id) | (vocab == Vocab.bos_id)
    banned = banned | ((vocab == Vocab.eos_id) & (t < min_len))
    last = (t + 1 >= max_len)[:, None] & (vocab != Vocab.eos_id)[None, :]
    return tf.where(banned[None, :] | last, NEG, logp)


def greedy_search(step: Step, state: tuple, context: tuple, max_len: tf.Tensor,
                  min_len: int = 0) -> tuple[tf.Tensor, tf.Tensor]:
    """(ids [batch, max(max_len)], 0 after </s>; log-probability of each output)."""
    batch, longest = tf.shape(max_len)[0], tf.reduce_max(max_len)
    ids = tf.fill([batch], Vocab.bos_id)
    out = tf.zeros([batch, longest], tf.int32)
    score, done = tf.zeros([batch]), tf.zeros([batch], tf.bool)

    def body(t, ids, state, out, score, done):
        logits, state, _ = step(ids, state, context)
        logp = allowed(tf.nn.log_softmax(logits), t, min_len, max_len)
        ids = tf.argmax(logp, -1, output_type=tf.int32)
        score += tf.where(done, 0.0, tf.reduce_max(logp, -1))
        out += tf.where(done, 0, ids)[:, None] * tf.one_hot(t, longest, dtype=tf.int32)[None, :]
        return t + 1, ids, state, out, score, done | (ids == Vocab.eos_id)

    def cond(t, ids, state, out, score, done):
        return (t < longest) & ~tf.reduce_all(done)

    *_, out, score, _ = tf.while_loop(cond, body, (tf.constant(0), ids, state, out, score, done))
    return out, score


def beam_search(step: Step, state: tuple, context: tuple, max_len: tf.Tensor, beam: int, alpha: float = 0.0,
                min_len: int = 0, nbest: int = 1, beta: float = 0.0,
                source_mask: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """(ids [batch, beam, max(max_len)] best first, 0 after </s>; scores [batch, beam], NEG for empty
    slots). `source_mask` [batch, src] is needed for the coverage penalty (beta > 0)."""
    batch, longest = tf.shape(max_len)[0], tf.reduce_max(max_len)
    rows = batch * beam

    def tile(x):
        return tf.repeat(x, beam, axis=0)

    state, context = tf.nest.map_structure(tile, state), tf.nest.map_structure(tile, context)
    row_max_len = tile(max_len)
    mask = tile(source_mask) if source_mask is not None else tf.ones([rows, 1], tf.bool)
    # Only the first slot is alive at the start, so the first step does not pick one word `beam` times.
    alive = tf.tile(tf.constant([[0.0] + [NEG] * (beam - 1)]), [batch, 1])
    alive_ids = tf.zeros([batch, beam, longest], tf.int32)
    done_ids, done_score = tf.zeros([batch, beam, longest], tf.int32), tf.fill([batch, beam], NEG)
    coverage = tf.zeros(tf.shape(mask))
    ids = tf.fill([rows], Vocab.bos_id)
    best_possible_lp = length_penalty(max_len, alpha)  # alpha >= 0: a live one scores at most logp / this

    def body(*loop):  # gathers lose static shapes that tf.while_loop wants kept
        return tf.nest.map_structure(lambda new, old: tf.ensure_shape(new, old.shape), advance(*loop), loop)

    def advance(t, ids, state, alive, alive_ids, done_ids, done_score, coverage):
        logits, state, weights = step(ids, state, context)
        logp = allowed(tf.nn.log_softmax(logits), t, min_len, row_max_len)
        vocab = tf.shape(logp)[-1]
        total = tf.reshape(alive[:, :, None] + tf.reshape(logp, [batch, beam, vocab]), [batch, beam * vocab])
        top, index = tf.math.top_k(total, beam)
        parent, word = index // vocab, index % vocab
        seqs = tf.gather(alive_ids, parent, batch_dims=1)
        seqs += word[:, :, None] * tf.one_hot(t, longest, dtype=tf.int32)[None, None, :]
        flat = tf.reshape(parent + tf.range(batch)[:, None] * beam, [rows])
        coverage = tf.gather(coverage, flat) + weights if beta else coverage
        ended = (word == Vocab.eos_id) & (top > NEG / 2)
        score = top / length_penalty(t + 1, alpha)
        if beta:
            score += tf.reshape(coverage_penalty(coverage, mask, beta), [batch, beam])
        pool = tf.concat([done_score, tf.where(ended, score, NEG)], 1)
        done_score, keep = tf.math.top_k(pool, beam)
        done_ids = tf.gather(tf.concat([done_ids, seqs], 1), keep, batch_dims=1)
        state = tf.nest.map_structure(lambda s: tf.gather(s, flat), state)
        return (t + 1, tf.reshape(word, [rows]), state, tf.where(ended, NEG, top), seqs, done_ids, done_score,
                coverage)

    def cond(t, ids, state, alive, alive_ids, done_ids, done_score, coverage):
        hopeless = done_score[:, nbest - 1] >= tf.reduce_max(alive, 1) / best_possible_lp
        return (t < longest) & ~tf.reduce_all(hopeless | (tf.reduce_max(alive, 1) <= NEG / 2))

    loop = (tf.constant(0), ids, state, alive, alive_ids, done_ids, done_score, coverage)
    *_, done_ids, done_score, _ = tf.while_loop(cond, body, loop)
    return done_ids, done_score

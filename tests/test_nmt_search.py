"""Greedy and beam search on tiny deterministic models, checked against exhaustive search (exact values)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from seqkit.data.vocab import Vocab
from seqkit.decoding.beam_search import beam_search, greedy_search

V = 6  # <pad> <unk> <s> </s> and two words
WORDS = [1, 3, 4, 5]  # what search may output: <unk>, </s>, the words (never <pad> or <s>)


def table_model(table: np.ndarray):
    """step(ids, (t,), ctx): logits table[t, ids], a position-dependent Markov model."""
    table = tf.constant(table, tf.float32)

    def step(ids, state, ctx):
        t = state[0]
        logits = tf.gather_nd(table, tf.stack([tf.minimum(t, table.shape[0] - 1), ids], -1))
        return logits, (t + 1,), tf.zeros([tf.shape(ids)[0], 1])

    return step


def run(search, table, max_len, **kw):
    batch = len(max_len)
    state, ctx = (tf.zeros([batch], tf.int32),), (tf.zeros([batch, 1]),)
    ids, scores = search(table_model(table), state, ctx, tf.constant(max_len, tf.int32), **kw)
    return ids.numpy(), scores.numpy()


def exhaustive(table: np.ndarray, max_len: int, alpha: float) -> list[tuple[float, list[int]]]:
    """Every output (ending in </s>, at most max_len tokens) with its length-normalized score, best first."""
    logp = table - np.log(np.exp(table).sum(-1, keepdims=True))
    found = []
    for n in range(max_len):
        for words in itertools.product([w for w in WORDS if w != Vocab.eos_id], repeat=n):
            seq, prev, total = [*words, Vocab.eos_id], Vocab.bos_id, 0.0
            for t, w in enumerate(seq):
                total += logp[min(t, len(table) - 1), prev, w]
                prev = w
            found.append((total / ((5 + len(seq)) / 6) ** alpha, seq))
    return sorted(found, key=lambda f: -f[0])


def strip(row: np.ndarray) -> list[int]:
    row = row.tolist()
    return row[:row.index(Vocab.eos_id) + 1]


@pytest.fixture
def table() -> np.ndarray:
    return np.random.default_rng(0).normal(0, 1.5, (4, V, V))


def test_beam_width_1_is_greedy(table) -> None:
    ids, scores = run(beam_search, table, [4, 2, 5], beam=1)
    g_ids, g_scores = run(greedy_search, table, [4, 2, 5])
    np.testing.assert_array_equal(ids[:, 0, :], g_ids)
    np.testing.assert_allclose(scores[:, 0], g_scores, rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_wide_beam_finds_the_exhaustive_best_and_nbest_is_sorted(table, alpha) -> None:
    max_len = 4
    ids, scores = run(beam_search, table, [max_len], beam=32, alpha=alpha, nbest=5)
    best = exhaustive(table, max_len, alpha)
    assert strip(ids[0, 0]) == best[0][1]
    assert scores[0, 0] == pytest.approx(best[0][0], rel=1e-5)
    assert list(scores[0, :5]) == sorted(scores[0, :5], reverse=True)
    np.testing.assert_allclose(scores[0, :5], [s for s, _ in best[:5]], rtol=1e-5)
    assert [strip(r) for r in ids[0, :5]] == [seq for _, seq in best[:5]]


def test_length_penalty_changes_the_choice_as_the_formula_says() -> None:
    # From <s>: </s> 0.5, word 4 0.5; after word 4: </s> 0.9. Raw log-probs prefer the empty output
    # (log .5 > log .5 + log .9); lp(2) = (7/6)^alpha makes "4 </s>" win once alpha is large enough.
    probs = np.full((V, V), 1e-9)
    probs[Vocab.bos_id, [Vocab.eos_id, 4]] = 0.5
    probs[4, Vocab.eos_id], probs[4, 5] = 0.9, 0.1
    probs[5, Vocab.eos_id] = 1.0
    table = np.log(probs)[None]
    short, long = math.log(0.5), math.log(0.5) + math.log(0.9)
    for alpha in (0.0, 1.0, 3.0):
        lp = ((5 + 2) / 6) ** alpha
        expect = [4, Vocab.eos_id] if long / lp > short else [Vocab.eos_id]
        ids, scores = run(beam_search, table, [3], beam=2, alpha=alpha)
        assert strip(ids[0, 0]) == expect, alpha
        assert scores[0, 0] == pytest.approx(max(long / lp, short), rel=1e-4)
    assert strip(run(beam_search, table, [3], beam=2, alpha=0.0)[0][0, 0]) == [Vocab.eos_id]
    assert strip(run(beam_search, table, [3], beam=2, alpha=3.0)[0][0, 0]) == [4, Vocab.eos_id]


def test_min_and_max_length(table) -> None:
    ids, _ = run(beam_search, table, [3, 6], beam=4, min_len=2)
    for row, limit in zip(ids[:, 0], [3, 6]):
        out = strip(row)
        assert out[-1] == Vocab.eos_id and 3 <= len(out) <= limit
    g_ids, _ = run(greedy_search, table, [2])
    assert len(strip(g_ids[0])) <= 2


def test_coverage_penalty_runs_and_keeps_scores_finite(table) -> None:
    batch = 2
    state, ctx = (tf.zeros([batch], tf.int32),), (tf.zeros([batch, 1]),)
    ids, scores = beam_search(table_model(table), state, ctx, tf.constant([4, 4]), beam=3, beta=0.2,
                              source_mask=tf.ones([batch, 1], tf.bool))
    assert np.isfinite(scores.numpy()[:, 0]).all()

"""The decoding engine on tiny synthetic models, checked against brute-force search (exact values)."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from seqkit.decoding.engine import NEG, decode
from seqkit.decoding.samplers import Argmax, Random, filter_logits
from seqkit.decoding.strategies import BeamSearch, GreedySearch, make_strategy
from seqkit.decoding.top_k import SHORT, top_k
from seqkit.errors import ConfigError

V, PAD, UNK, BOS, EOS = 6, 0, 1, 2, 3  # <pad> <unk> <s> </s> and the words 4, 5
BANNED = (PAD, BOS)
WORDS = [UNK, 4, 5]  # what may come before </s>


def log_softmax(x: np.ndarray) -> np.ndarray:
    top = x.max(-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(-1, keepdims=True))


def lp(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha


def table_step(table: np.ndarray):
    """step(ids, t, sentence): logits table[sentence, t, ids], a position-dependent Markov model."""
    tab = tf.constant(table, tf.float32)

    def step(ids, t, sentence):
        return tf.gather_nd(tab, tf.stack([sentence, tf.minimum(t, len(table[0]) - 1), ids], -1)), t + 1, {}

    return step


def table_logp(table: np.ndarray, sentence: int = 0):
    """The brute force's view of table_step: prefix -> log-probabilities of the next id."""
    return lambda prefix: log_softmax(table[sentence, min(len(prefix), table.shape[1] - 1),
                                            prefix[-1] if prefix else BOS])


def search(table: np.ndarray, strategy, max_len: list[int], sentences: list[int] | None = None, **kw):
    """decode over table_step, eagerly, as numpy arrays."""
    batch = len(max_len)
    kw = {"eos_id": EOS, "banned": BANNED} | kw
    found = decode(table_step(table), tf.zeros([batch], tf.int32), tf.constant(sentences or [0] * batch),
                   tf.fill([batch], BOS), tf.constant(max_len), strategy, **kw)
    return tuple(np.asarray(x) for x in found)


def repeats(seq: list[int], n: int) -> bool:
    grams = [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]
    return len(set(grams)) < len(grams)


def exhaustive(logp, max_len: int, alpha: float, min_len: int = 0, ngram: int = 0, beta: float = 0.0,
               attention=None, mask=None) -> list[tuple[float, list[int]]]:
    """Every output (ending in </s>, min_len < length <= max_len) with its GNMT score, best first."""
    found = []
    for n in range(min_len, max_len):
        for words in itertools.product(WORDS, repeat=n):
            seq = [*words, EOS]
            if ngram and repeats(seq, ngram):
                continue
            score = sum(logp(seq[:t])[w] for t, w in enumerate(seq)) / lp(len(seq), alpha)
            if beta:
                coverage = sum(attention(seq[:t]) for t in range(len(seq)))
                score += beta * np.log(np.clip(coverage, 1e-10, 1.0))[mask].sum()
            found.append((score, seq))
    return sorted(found, key=lambda f: -f[0])


def greedy_path(logp, max_len: int, min_len: int = 0, ngram: int = 0, eos: bool = True):
    """The argmax path under the same constraints as the engine, and its logp sum."""
    seq, total = [], 0.0
    while len(seq) < max_len and (not seq or seq[-1] != EOS or not eos):
        t, scores = len(seq), logp(seq).copy()
        scores[list(BANNED)] = NEG
        if eos and t < min_len:
            scores[EOS] = NEG
        if eos and t + 1 == max_len:
            scores[np.arange(V) != EOS] = NEG
        if ngram:
            for j in range(t - ngram + 1):
                if seq[j:j + ngram - 1] == seq[t - ngram + 1:]:
                    scores[seq[j + ngram - 1]] = NEG
        seq.append(int(scores.argmax()))
        total += scores[seq[-1]]
    return seq, total


def strip(row: np.ndarray) -> list[int]:
    row = row.tolist()
    return row[:row.index(EOS) + 1]


@pytest.fixture
def table() -> np.ndarray:
    return np.random.default_rng(0).normal(0, 1.5, (3, 4, V, V))


def test_greedy_is_the_argmax_path(table) -> None:
    for min_len in (0, 2):
        ids, scores, lengths, _ = search(table, GreedySearch(), [4, 3, 6], [0, 1, 2], min_len=min_len)
        for s, limit in enumerate([4, 3, 6]):
            seq, total = greedy_path(table_logp(table, s), limit, min_len)
            assert ids[s, 0].tolist() == seq + [0] * (6 - len(seq))
            assert lengths[s, 0] == len(seq) and scores[s, 0] == pytest.approx(total, rel=1e-5)


def test_beam_width_1_is_greedy(table) -> None:
    beam = search(table, BeamSearch(1, alpha=0.0), [4, 2, 5], [0, 1, 2])
    greedy = search(table, GreedySearch(), [4, 2, 5], [0, 1, 2])
    for a, b in zip(beam, greedy):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_wide_beam_finds_the_exhaustive_nbest(table, alpha) -> None:
    ids, scores, lengths, _ = search(table, BeamSearch(40, alpha, nbest=5, stop="exact"), [4, 3], [0, 1])
    for s, limit in enumerate([4, 3]):
        best = exhaustive(table_logp(table, s), limit, alpha)[:5]
        assert [strip(r) for r in ids[s]] == [seq for _, seq in best]
        np.testing.assert_allclose(scores[s], [score for score, _ in best], rtol=1e-5)
        assert lengths[s].tolist() == [len(seq) for _, seq in best]


def test_length_penalty_changes_the_choice_as_the_formula_says() -> None:
    # From <s>: </s> 0.5, word 4 0.5; after word 4: </s> 0.9. Raw log-probs prefer the empty output,
    # lp(2) = (7/6)^alpha makes "4 </s>" win once alpha is large enough.
    probs = np.full((V, V), 1e-9)
    probs[BOS, [EOS, 4]] = 0.5
    probs[4, EOS], probs[4, 5] = 0.9, 0.1
    probs[5, EOS] = 1.0
    table = np.log(probs)[None, None]
    short, long = math.log(0.5), math.log(0.5) + math.log(0.9)
    for alpha in (0.0, 1.0, 3.0):
        ids, scores, _, _ = search(table, BeamSearch(2, alpha, stop="exact"), [3])
        assert strip(ids[0, 0]) == ([4, EOS] if long / lp(2, alpha) > short else [EOS]), alpha
        assert scores[0, 0] == pytest.approx(max(long / lp(2, alpha), short), rel=1e-4)
    assert strip(search(table, BeamSearch(2, 3.0, stop="exact"), [3])[0][0, 0]) == [4, EOS]


def test_min_and_max_length(table) -> None:
    ids, scores, lengths, _ = search(table, BeamSearch(40, 0.6, nbest=5, stop="exact"), [5], min_len=2)
    best = exhaustive(table_logp(table), 5, 0.6, min_len=2)[:5]
    assert [strip(r) for r in ids[0]] == [seq for _, seq in best]
    np.testing.assert_allclose(scores[0], [score for score, _ in best], rtol=1e-5)
    assert all(3 <= n <= 5 for n in lengths[0])
    ids, _, lengths, _ = search(table, GreedySearch(), [3, 1], min_len=4)  # the maximum wins
    assert lengths.tolist() == [[3], [1]] and len(strip(ids[0, 0])) == 3 and ids[1, 0].tolist() == [EOS, 0, 0]


def test_coverage_penalty_against_brute_force(table) -> None:
    # Attention depends on the hypothesis' previous id, so every hypothesis has its own coverage.
    attend = np.random.default_rng(1).dirichlet([0.5] * 3, V).astype(np.float32)
    base = table_step(table)

    def step(ids, t, sentence):
        logits, t, _ = base(ids, t, sentence)
        return logits, t, {"attention": tf.gather(attend, ids)}

    mask = np.array([[True, True, True], [True, True, False]])
    found = decode(step, tf.zeros([2], tf.int32), tf.constant([0, 0]), tf.fill([2], BOS), tf.constant([4, 4]),
                   BeamSearch(40, 0.6, beta=0.7, nbest=5, stop="exact"), eos_id=EOS, banned=BANNED,
                   source_mask=tf.constant(mask))
    for s in range(2):
        best = exhaustive(table_logp(table), 4, 0.6, beta=0.7, mask=mask[s],
                          attention=lambda prefix: attend[prefix[-1] if prefix else BOS])[:5]
        assert [strip(r) for r in found.ids.numpy()[s]] == [seq for _, seq in best]
        np.testing.assert_allclose(found.scores.numpy()[s], [score for score, _ in best], rtol=1e-5)
    with pytest.raises(ConfigError, match="source_mask"):
        decode(step, tf.zeros([2], tf.int32), tf.constant([0, 0]), tf.fill([2], BOS), 4,
               BeamSearch(3, beta=0.2), eos_id=EOS)


@pytest.mark.parametrize("n", [1, 2])
def test_no_repeat_ngram_against_brute_force(n) -> None:
    probs = np.full((1, 1, V, V), 0.1)
    probs[..., 4] = 2.0  # every model loves to repeat word 4
    table = np.log(probs) + np.random.default_rng(2).normal(0, 0.3, probs.shape)
    ids, scores, _, _ = search(table, BeamSearch(40, 0.6, nbest=5, stop="exact"), [4], no_repeat_ngram=n)
    best = exhaustive(table_logp(table), 4, 0.6, ngram=n)[:5]
    assert [strip(r) for r in ids[0]] == [seq for _, seq in best]
    np.testing.assert_allclose(scores[0], [score for score, _ in best], rtol=1e-5)
    for eos in (True, False):  # greedy, with and without an end token (a language model)
        limit = 9 if eos else {1: 4, 2: 8}[n]  # without </s>, longer outputs must repeat an n-gram
        found = search(table, GreedySearch(), [limit], no_repeat_ngram=n, eos_id=EOS if eos else None)
        seq, total = greedy_path(table_logp(table), limit, ngram=n, eos=eos)
        assert found[0][0, 0].tolist()[:len(seq)] == seq and found[1][0, 0] == pytest.approx(total, rel=1e-5)
        assert not repeats(seq, n) and total > NEG / 2


def early_table() -> np.ndarray:
    """</s> first is likely, but "4 </s>" wins at alpha 2: the early rule stops after step 1, too soon."""
    probs = np.full((V, V), 1e-6)
    probs[BOS, [EOS, 4, 5]] = 0.5, 0.4, 0.1
    probs[4, [EOS, 4, 5]] = 0.99, 0.005, 0.005
    probs[5, EOS] = 1.0
    return np.log(probs)[None, None]


def test_early_stopping_stops_sooner_and_exact_finds_the_best() -> None:
    table = early_table()
    ids, scores, _, steps = search(table, BeamSearch(2, 2.0), [3])
    assert strip(ids[0, 0]) == [EOS] and steps == 1
    ids, scores, _, steps = search(table, BeamSearch(2, 2.0, stop="exact"), [3])
    best = exhaustive(table_logp(table), 3, 2.0)[0]
    assert strip(ids[0, 0]) == best[1] == [4, EOS] and scores[0, 0] == pytest.approx(best[0], rel=1e-5)
    assert steps == 2


def test_exact_stopping_on_random_models_equals_the_exhaustive_best() -> None:
    tables = np.random.default_rng(3).normal(0, 2.0, (8, 4, V, V))
    ids, scores, _, _ = search(tables, BeamSearch(40, 2.0, stop="exact"), [5] * 8, list(range(8)))
    for s in range(8):
        best = exhaustive(table_logp(tables, s), 5, 2.0)[0]
        assert strip(ids[s, 0]) == best[1] and scores[s, 0] == pytest.approx(best[0], rel=1e-5)


def test_a_batch_stops_as_soon_as_all_its_sentences_are_done() -> None:
    chain = np.full((V, V), 1e-6)  # "4 5 </s>" is done after 3 steps
    chain[[BOS, 4, 5]] = [[0, 0, 0, 0.04, 0.9, 0.06], [0, 0, 0, 0.05, 0.05, 0.9], [0, 0, 0, 0.9, 0.05, 0.05]]
    tables = np.concatenate([early_table(), np.log(chain + 1e-6)[None, None]])
    strategy = BeamSearch(2, 2.0)
    alone = [search(tables, strategy, [8], [s]) for s in (0, 1)]
    together = search(tables, strategy, [8, 8], [0, 1])
    assert alone[0][3] == 1 and alone[1][3] == 3 and strip(alone[1][0][0, 0]) == [4, 5, EOS]
    assert together[3] == 3
    for s in (0, 1):
        for a, b in zip(together[:3], alone[s][:3]):
            np.testing.assert_array_equal(a[s], b[0])


@pytest.mark.parametrize("strategy", [BeamSearch(3, 0.6, beta=0.3, nbest=2), GreedySearch(),
                                      GreedySearch(Random())])
def test_done_sentences_leave_the_loop_and_the_outputs_stay_the_same(table, strategy) -> None:
    """Fewer rows step once a sentence is done; compact=False (all rows to the end) decodes the same."""
    step, attend = table_step(table), tf.constant(np.random.default_rng(2).dirichlet([0.5] * 3, V), "float32")
    seen = []

    def counting_step(ids, t, sentence):
        seen.append(int(tf.shape(ids)[0]))
        logits, t, _ = step(ids, t, sentence)
        return logits, t, {"attention": tf.gather(attend, ids)}

    sentences, max_len = tf.constant([0, 1, 2, 1, 0]), tf.constant([2, 7, 3, 5, 7])
    found = {compact: decode(counting_step, tf.zeros_like(sentences), sentences, tf.fill([5], BOS), max_len,
                             strategy, eos_id=EOS, banned=BANNED, no_repeat_ngram=2, seed=4, compact=compact,
                             source_mask=tf.ones([5, 3], tf.bool)) for compact in (True, False)}
    compacted, seen = seen[:int(found[True].steps)], seen[int(found[True].steps):]
    assert seen == [5 * strategy.width] * int(found[False].steps) and compacted[0] == seen[0]
    assert compacted == sorted(compacted, reverse=True) and compacted[-1] < compacted[0]
    for a, b in zip(found[True], found[False]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_each_hypothesis_sees_its_own_state() -> None:
    # The logits depend on a hash of the whole history, carried in a nested state: a wrong reorder of
    # the state by parent changes the scores.
    logits = tf.constant(np.random.default_rng(4).normal(0, 2.0, (97, V)), tf.float32)

    def step(ids, state, context):
        (code,), t = state
        code = code * 7 + ids + 1
        return tf.gather(logits, code % 97), ((code,), t + 1), {}

    def logp(prefix):
        code = 0
        for x in [BOS, *prefix]:
            code = code * 7 + x + 1
        return log_softmax(logits.numpy()[code % 97])

    found = decode(step, ((tf.zeros([1], tf.int32),), tf.zeros([1], tf.int32)), (), tf.fill([1], BOS), 4,
                   BeamSearch(40, 0.6, nbest=5, stop="exact"), eos_id=EOS, banned=BANNED)
    best = exhaustive(logp, 4, 0.6)[:5]
    assert [strip(r) for r in found.ids.numpy()[0]] == [seq for _, seq in best]
    np.testing.assert_allclose(found.scores.numpy()[0], [score for score, _ in best], rtol=1e-5)


def test_without_eos_every_output_has_max_len_ids(table) -> None:
    for strategy in (GreedySearch(), GreedySearch(Random()), BeamSearch(16, 0.6, nbest=5)):
        ids, _, lengths, steps = search(table, strategy, [3, 3], [0, 1], eos_id=None)
        assert ids.shape[-1] == 3 and (ids != PAD).all() and (lengths == 3).all() and steps == 3
    # 16 = 4^2 hypotheses: the beam is exact, the n-best are the best length-3 sequences by logp sum
    ids, scores, _, _ = search(table, BeamSearch(16, 0.6, nbest=5), [3, 3], [0, 1], eos_id=None)
    for s in (0, 1):
        sums = {seq: sum(table_logp(table, s)(list(seq[:t]))[w] for t, w in enumerate(seq))
                for seq in itertools.product([UNK, EOS, 4, 5], repeat=3)}  # </s> is an ordinary id here
        best = sorted(sums.items(), key=lambda kv: -kv[1])[:5]
        assert [tuple(r) for r in ids[s].tolist()] == [seq for seq, _ in best]
        np.testing.assert_allclose(scores[s], [v / lp(3, 0.6) for _, v in best], rtol=1e-5)


def test_sampling_is_reproducible_and_scored_without_temperature(table) -> None:
    strategy = GreedySearch(Random(temperature=0.5))
    a, b, c = (search(table, strategy, [6] * 8, [0, 1, 2] * 2 + [0, 1], seed=seed) for seed in (7, 7, 8))
    np.testing.assert_array_equal(a[0], b[0])
    assert (a[0] != c[0]).any()
    for row, score, length, s in zip(a[0][:, 0], a[1][:, 0], a[2][:, 0], [0, 1, 2] * 2 + [0, 1]):
        seq = strip(row)
        assert length == len(seq) and (row[len(seq):] == 0).all()
        total = sum(table_logp(table, s)(seq[:t])[w] for t, w in enumerate(seq))
        assert score == pytest.approx(total, rel=1e-5)


def first_ids(logits: np.ndarray, sampler, rows: int = 2000) -> np.ndarray:
    """The first sampled id of `rows` streams under fixed logits (no constraints)."""
    def step(ids, state, context):
        return tf.tile(tf.constant(logits[None], tf.float32), [tf.size(ids), 1]), state, {}

    found = decode(step, (), (), tf.fill([rows], BOS), 1, GreedySearch(sampler), seed=5)
    return found.ids.numpy()[:, 0, 0]


def test_sampled_ids_follow_the_tempered_distribution() -> None:
    logits = np.array([0.5, 1.0, -1.0, 0.2, 2.0, -0.3])
    for temperature in (0.7, 1.0, 2.0):
        counts = np.bincount(first_ids(logits, Random(temperature)), minlength=V)
        expected = 2000 * np.exp(log_softmax(logits / temperature))
        assert ((counts - expected) ** 2 / expected).sum() < 20.5, temperature  # chi-square, 5 dof, p = 0.001


def test_top_k_and_top_p_never_sample_outside_the_kept_set() -> None:
    logits = np.log([0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
    assert set(first_ids(logits, Random(1.5, top_k=2)).tolist()) == {0, 1}
    assert set(first_ids(logits, Random(1.0, top_p=0.7)).tolist()) == {0, 1, 2}
    assert set(first_ids(logits, Random(2.0, top_k=4, top_p=0.5)).tolist()) <= {0, 1, 2}


def test_filter_logits_top_k_and_top_p() -> None:
    logits = tf.math.log([[0.5, 0.25, 0.15, 0.1]])
    kept = lambda f: np.isfinite(f.numpy()[0]).tolist()  # noqa: E731
    assert kept(filter_logits(logits, 1.0, 2, 1.0)) == [True, True, False, False]
    assert kept(filter_logits(logits, 1.0, 0, 0.7)) == [True, True, False, False]
    assert kept(filter_logits(logits, 1.0, 0, 0.5)) == [True, False, False, False]
    assert kept(filter_logits(logits, 1.0, 0, 0.76)) == [True, True, True, False]


@pytest.mark.parametrize("n", [SHORT + 1, 12_345, 40_000])
def test_top_k_of_long_rows_is_tf_top_k_ties_and_all(n) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(-3, 3, (6, n)).astype(np.float32)  # few values: ties everywhere
    x[0] = NEG  # a dead hypothesis's row: all equal
    x[1, : n - 2] = -np.inf  # two finite entries
    x[2] = rng.normal(size=n)
    x[3, -1] = 9.0  # the best in the padded last chunk
    x[4, rng.integers(0, n, 5)] = 5.0  # the best five apart
    x[5, 100:105] = 5.0  # the best five in one chunk
    for k in (1, 5, 12):
        want = tf.math.top_k(x, k)
        batch_unknown = tf.function(functools.partial(top_k, k=k), input_signature=[tf.TensorSpec([None, n])])
        for values, index in (top_k(tf.constant(x), k), batch_unknown(x)):
            np.testing.assert_array_equal(index.numpy(), want.indices.numpy())
            np.testing.assert_array_equal(values.numpy(), want.values.numpy())
    unknown = tf.function(lambda x: top_k(x, 5), input_signature=[tf.TensorSpec([None, None])])
    np.testing.assert_array_equal(unknown(x)[1].numpy(), tf.math.top_k(x, 5).indices.numpy())


def test_graph_with_dynamic_shapes_gives_the_eager_outputs(table) -> None:
    step = table_step(table)
    attend = tf.constant(np.random.default_rng(1).dirichlet([0.5] * 3, V), tf.float32)

    def nmt_step(ids, t, sentence):
        logits, t, _ = step(ids, t, sentence)
        return logits, t, {"attention": tf.gather(attend, ids)}

    def nmt(strategy, sentences, max_len, mask):
        return decode(nmt_step, tf.zeros_like(sentences), sentences, tf.fill(tf.shape(sentences), BOS),
                      max_len, strategy, eos_id=EOS, banned=BANNED, min_len=1, no_repeat_ngram=2,
                      source_mask=mask, seed=3)

    mask = tf.constant([[True] * 3] * 3 + [[True, True, False]])
    args = tf.constant([0, 1, 2, 1]), tf.constant([5, 3, 6, 2]), mask
    dynamic = [tf.TensorSpec([None], tf.int32)] * 2 + [tf.TensorSpec([None, None], tf.bool)]
    for strategy in (BeamSearch(3, 0.6, beta=0.3, nbest=2), GreedySearch(Random())):
        graph = tf.function(lambda *a, strategy=strategy: nmt(strategy, *a), input_signature=dynamic)
        for a, b in zip(nmt(strategy, *args), graph(*args)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


@pytest.mark.parametrize("ngram", [0, 3])
def test_sampling_under_xla_gives_the_eager_ids(table, ngram) -> None:
    def lm(sentences, seed):
        start = tf.fill(tf.shape(sentences), BOS)
        return decode(table_step(table), tf.zeros_like(sentences), sentences, start, 30,
                      GreedySearch(Random(0.8, top_k=4)), banned=BANNED, no_repeat_ngram=ngram, seed=seed)

    args = tf.constant([0, 1, 2, 1] * 4), tf.constant(11)
    eager, xla = lm(*args), tf.function(lm, jit_compile=True)(*args)
    np.testing.assert_array_equal(eager.ids.numpy(), xla.ids.numpy())
    np.testing.assert_allclose(eager.scores.numpy(), xla.scores.numpy(), rtol=1e-5)


def test_bad_options_are_config_errors_naming_the_value() -> None:
    bad = {"temperature.*0": lambda: Random(temperature=0), "top_k.*-1": lambda: Random(top_k=-1),
           "top_p.*0": lambda: Random(top_p=0), "top_p.*1.5": lambda: Random(top_p=1.5),
           "width.*0": lambda: BeamSearch(width=0), "nbest.*4": lambda: BeamSearch(3, nbest=4),
           "nbest.*0": lambda: BeamSearch(nbest=0), "alpha=-1": lambda: BeamSearch(alpha=-1),
           "beta=-0.5": lambda: BeamSearch(beta=-0.5), "late": lambda: BeamSearch(stop="late"),
           "Sampler": lambda: GreedySearch("argmax"),
           "greedy, beam, sample": lambda: make_strategy("nucleus"),
           "no option width": lambda: make_strategy("greedy", width=3)}
    for match, make in bad.items():
        with pytest.raises(ConfigError, match=match):
            make()


def test_strategies_are_values() -> None:
    assert make_strategy("beam", width=4) == BeamSearch(4) and hash(BeamSearch(4)) == hash(BeamSearch(4))
    assert make_strategy("sample", top_k=3) == GreedySearch(Random(top_k=3)) != GreedySearch()
    assert make_strategy("greedy") == GreedySearch(Argmax())
    assert len({BeamSearch(), BeamSearch(), GreedySearch(), GreedySearch(Random())}) == 3

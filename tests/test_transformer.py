"""The Transformer parts: causality, the cached step equal to the full forward pass (language model and
seq2seq, every encoder/decoder pair), padding masks, beam search over cached steps equal to brute force
over full forward passes, the inverse-sqrt schedule, and a Transformer NMT run end to end."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import tensorflow as tf
from test_decoding import BANNED, BOS, EOS, exhaustive, log_softmax, strip

from seqkit.config import CharRNNConfig, NMTConfig
from seqkit.decoding.engine import decode
from seqkit.decoding.strategies import BeamSearch
from seqkit.errors import ConfigError
from seqkit.models import build_char_model
from seqkit.models.seq2seq import build_seq2seq
from seqkit.training.trainer import InverseSqrt, make_optimizer

V = 13


def lm(**kw):
    tf.keras.utils.set_random_seed(7)
    cfg = CharRNNConfig(cell="transformer", layers=2, model_dim=16, heads=2, ff_dim=32, seq_len=8, **kw)
    return build_char_model(cfg, V)


def ids(shape, seed=0, low=0):
    return np.random.default_rng(seed).integers(low, V, shape).astype(np.int32)


def steps(model, x, state, context=()):
    """Logits [batch, time, V] of a loop of model.step over x, and the state after it."""
    out = []
    for t in range(x.shape[1]):
        logits, state, _ = model.step(tf.constant(x[:, t]), state, context) if context != () else \
            model.step(tf.constant(x[:, t]), state)
        out.append(logits.numpy())
    return np.stack(out, 1), state


def test_changing_a_future_token_changes_no_earlier_logit() -> None:
    model = lm()
    x = ids((3, 8))
    base, _ = model(x, ())
    for k in (0, 3, 7):
        y = x.copy()
        y[:, k] = (y[:, k] + 1) % V
        changed, _ = model(y, ())
        np.testing.assert_array_equal(changed.numpy()[:, :k], base.numpy()[:, :k])
        assert np.abs(changed.numpy()[:, k] - base.numpy()[:, k]).min() > 0  # position k reads token k


@pytest.mark.parametrize("kw", [dict(), dict(norm="post", positions="sinusoidal")])
def test_cached_steps_equal_the_full_forward_pass(kw) -> None:
    model = lm(**kw)
    x = ids((3, 8))
    full, _ = model(x, ())
    stepped, _ = steps(model, x, model.initial_state(3))
    np.testing.assert_allclose(stepped, full.numpy(), atol=1e-5)
    windowed, _ = model(x, model.initial_state(3))  # a window after a (here empty) cache: the step loop
    np.testing.assert_allclose(windowed.numpy(), full.numpy(), atol=1e-5)


def test_past_its_context_the_cache_keeps_the_last_half_and_goes_on() -> None:
    """Context 8: at id 8 the cache is full and keeps ids 4..7, so id t (8 <= t < 12) sees ids 4..t."""
    model = lm()
    x = ids((2, 14), 1)
    stepped, _ = steps(model, x, model.initial_state(2))
    for t in (8, 11):
        alone, _ = model(x[:, 4:t + 1], ())
        np.testing.assert_allclose(stepped[:, t], alone.numpy()[:, -1], atol=1e-5)
    alone, _ = model(x[:, 8:13], ())  # full again at id 12: it keeps ids 8..11
    np.testing.assert_allclose(stepped[:, 12], alone.numpy()[:, -1], atol=1e-5)


def nmt(**kw) -> NMTConfig:
    sizes = dict(model_dim=16, heads=2, ff_dim=32, layers=2, units=16, embedding_dim=8, dropout=0.0)
    cfg = NMTConfig(model="transformer", src="s", tgt="t", **(sizes | kw))
    cfg.validate()
    return cfg


PAIRS = [dict(), dict(tie_embeddings=False, norm="post", positions="learned"),
         dict(decoder="rnn", tie_embeddings=False), dict(encoder="rnn", bridge="dense", tie_embeddings=False)]


@pytest.mark.parametrize("kw", PAIRS, ids=["transformer", "post-learned", "transformer-rnn",
                                           "rnn-transformer"])
def test_seq2seq_cached_steps_equal_teacher_forcing(kw) -> None:
    tf.keras.utils.set_random_seed(3)
    model = build_seq2seq(nmt(**kw), V, V)
    src = ids((2, 5), 2, low=4)
    src[1, 3:] = 0
    tgt = ids((2, 6), 3, low=4)
    full, weights = model(src, tgt)
    context, state = model.encode(src)
    stepped, _ = steps(model, tgt, state, context)
    np.testing.assert_allclose(stepped, full.numpy(), atol=1e-5)
    assert np.all(weights.numpy()[1, :, 3:] == 0)  # no attention on source padding
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, atol=1e-5)


def test_more_source_padding_changes_nothing() -> None:
    tf.keras.utils.set_random_seed(3)
    model = build_seq2seq(nmt(), V, V)
    src, tgt = ids((2, 5), 2, low=4), ids((2, 4), 3, low=4)
    src[1, 3:] = 0
    padded = np.concatenate([src, np.zeros((2, 4), np.int32)], 1)
    np.testing.assert_allclose(model(padded, tgt)[0].numpy(), model(src, tgt)[0].numpy(), atol=1e-5)


def test_tied_embeddings_are_one_matrix() -> None:
    model = build_seq2seq(nmt(), V, V)
    assert model.encoder.embedding is model.decoder.embedding
    assert model.output_layer.embedding is model.decoder.embedding
    untied = build_seq2seq(nmt(tie_embeddings=False), V, V)
    # tied: no source embedding and no output matrix of their own
    assert model.count_params() == untied.count_params() - 2 * V * 16


def test_beam_over_cached_steps_equals_brute_force_over_full_passes() -> None:
    """The engine's beam search through the cache against every output of up to 4 ids, each scored by
    teacher forcing (no cache), on a tiny Transformer with 6 ids."""
    tf.keras.utils.set_random_seed(11)
    model = build_seq2seq(nmt(), 6, 6)
    src = np.array([[4, 5, 4], [5, 5, 0]], np.int32)
    context, state = model.encode(src)
    found = decode(model.step, state, context, tf.fill([2], BOS), tf.constant([4, 4]),
                   BeamSearch(30, 1.0, nbest=3, stop="exact"), eos_id=EOS, banned=BANNED)

    forward = tf.function(lambda s, t: model(s, t)[0])

    def logp(s):
        @functools.cache
        def after(prefix: tuple) -> np.ndarray:  # causal: the padding after the prefix changes nothing
            tgt = np.array([[BOS, *prefix] + [0] * (3 - len(prefix))], np.int32)
            logits = forward(src[s:s + 1], tgt)
            return log_softmax(logits.numpy()[0, len(prefix)].astype(np.float64))

        return lambda prefix: after(tuple(prefix))

    for s in range(2):
        best = exhaustive(logp(s), 4, 1.0)[:3]
        assert [strip(r) for r in found.ids.numpy()[s]] == [seq for _, seq in best]
        np.testing.assert_allclose(found.scores.numpy()[s], [score for score, _ in best], rtol=1e-4)


def test_inconsistent_transformer_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="multiple of heads"):
        nmt(model_dim=18, heads=4)
    with pytest.raises(ConfigError, match="--bridge zero"):
        nmt(decoder="rnn", bridge="dense", tie_embeddings=False)
    with pytest.raises(ConfigError, match="joint"):
        nmt(joint_vocab=False)
    with pytest.raises(ConfigError, match="warmup_steps"):
        nmt(warmup_steps=0)


def test_inverse_sqrt_schedule_values() -> None:
    """Step s (from 0) has rate peak * min((s + 1) / warmup, sqrt(warmup / (s + 1)))."""
    schedule = InverseSqrt(1e-3, 4)
    got = [float(schedule(step)) for step in (0, 3, 15)]
    np.testing.assert_allclose(got, [1e-3 / 4, 1e-3, 1e-3 * (4 / 16) ** 0.5], rtol=1e-6)
    optimizer = make_optimizer(nmt(learning_rate=1e-3, warmup_steps=4))
    assert float(optimizer.learning_rate) == pytest.approx(1e-3 / 4)


def test_char_lm_verb_trains_samples_and_evaluates_its_default(tmp_path, text_file, capsys) -> None:
    from seqkit.cli.main import main

    run = str(tmp_path / "lm")
    tiny = ["--model-dim", "16", "--heads", "2", "--ff-dim", "32", "--layers", "2", "--seq-len", "16",
            "--batch-size", "8", "--max-steps", "6", "--eval-every", "3", "--log-every", "3"]
    argv = ["train", "char-lm", "--data", str(text_file), "--run", run, *tiny]
    assert main(argv) == 0
    saved = (tmp_path / "lm" / "config.yaml").read_text()
    assert "cell: transformer" in saved and "warmup_steps: 100" in saved  # the default, no --cell
    capsys.readouterr()
    assert main(["sample", run, "--length", "40", "--prime", "KING", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert main(["sample", run, "--length", "40", "--prime", "KING", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first and first.startswith("KING") and len(first.rstrip("\n")) == 44
    assert main(["evaluate", run, "--data", str(text_file)]) == 0
    assert "bits/char" in capsys.readouterr().out

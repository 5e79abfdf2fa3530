"""The attentional encoder-decoder: attention masks, the seed's argument on additive attention, input
feeding, the masked loss, teacher forcing equal to stepping, and the softmax starting at the prior."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from seqkit.config import ATTENTION, BRIDGES, DECODERS, ENCODERS, NMTConfig
from seqkit.models.attention import ATTENTIONS, Bahdanau
from seqkit.models.bridges import BRIDGES as BRIDGE_CLASSES
from seqkit.models.decoders import DECODERS as DECODER_CLASSES
from seqkit.models.encoders import ENCODERS as ENCODER_CLASSES
from seqkit.models.seq2seq import build_seq2seq, set_output_prior
from seqkit.training.nmt_task import masked_nll

SRC = np.array([[5, 6, 7, 8], [9, 5, 0, 0]], np.int32)
TGT_IN = np.array([[2, 5, 6], [2, 7, 0]], np.int32)


def tiny(**kw) -> NMTConfig:
    return NMTConfig(src="s", tgt="t", units=16, embedding_dim=8, **kw)


@pytest.mark.parametrize("kind", [k for k in ATTENTION if k != "none"])
def test_attention_weights_sum_to_one_and_are_zero_on_padding(kind) -> None:
    model = build_seq2seq(tiny(attention=kind, normed=kind == "bahdanau"), 12, 12)
    _, weights = model(SRC, TGT_IN)
    w = weights.numpy()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    assert (w[1, :, 2:] == 0).all() and (w[1, :, :2] > 0).all()


def test_single_linear_layer_gives_the_same_weights_at_every_step_two_layers_do_not() -> None:
    """The seed's argument: with score = w . [h_s ; h_t] = w1 . h_s + w2 . h_t, the h_t term is the same
    for every source position, and softmax is shift invariant, so the weights never depend on the
    decoder; v . tanh(W1 h_s + W2 h_t) mixes them before the sum, so they do."""
    rng = np.random.default_rng(0)
    memory = tf.constant(rng.normal(size=(1, 5, 8)), tf.float32)
    queries = [tf.constant(rng.normal(size=(1, 8)), tf.float32) for _ in range(3)]
    mask = tf.ones([1, 5], tf.bool)
    w = rng.normal(size=16).astype(np.float32)

    def linear(q):
        h_t = tf.repeat(q[:, None, :], 5, axis=1)
        return tf.nn.softmax(tf.einsum("bsk,k->bs", tf.concat([memory, h_t], -1), w)).numpy()

    first = linear(queries[0])
    for q in queries[1:]:
        np.testing.assert_allclose(linear(q), first, rtol=1e-5)
    additive = Bahdanau(8)
    weights = [additive(q, additive.keys(memory), memory, mask)[1].numpy() for q in queries]
    assert not np.allclose(weights[0], weights[1], atol=1e-3)
    assert not np.allclose(weights[1], weights[2], atol=1e-3)


def test_input_feeding_puts_the_attentional_vector_into_the_step_input() -> None:
    fed = build_seq2seq(tiny(), 12, 12)
    enc, state = fed.encode(SRC)
    x = fed.decoder.embedding(tf.constant([2, 2]))
    changed = state[:-1] + (tf.ones_like(state[-1]),)
    a, _, _ = fed.decoder.vector_step(x, state, enc)
    b, _, _ = fed.decoder.vector_step(x, changed, enc)
    assert not np.allclose(a.numpy(), b.numpy())
    assert fed.decoder.cells[0].kernel.shape[0] == 8 + 16  # embedding + attentional vector
    plain = build_seq2seq(tiny(input_feeding=False), 12, 12)
    assert plain.decoder.cells[0].kernel.shape[0] == 8
    assert len(plain.encode(SRC)[1]) == len(state) - 1


@pytest.mark.parametrize("cfg", [dict(), dict(cell="gru", layers=2, residual=True, bridge="zero"),
                                 dict(attention="none", bidirectional=False),
                                 dict(attention="luong-concat", bridge="copy", encoder_units=16, layers=2)])
def test_teacher_forcing_equals_stepping(cfg) -> None:
    model = build_seq2seq(tiny(**cfg), 12, 12)
    logits, weights = model(SRC, TGT_IN)
    enc, state = model.encode(SRC)
    for t in range(TGT_IN.shape[1]):
        step_logits, state, extras = model.step(tf.constant(TGT_IN[:, t]), state, enc)
        np.testing.assert_allclose(step_logits.numpy(), logits.numpy()[:, t], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(extras["attention"].numpy(), weights.numpy()[:, t], atol=1e-6)


def test_registries_match_the_config_choices() -> None:
    """A part is one class and one registry line; the config's choices are those names."""
    assert set(ATTENTION) == set(ATTENTIONS) | {"none"}
    assert set(BRIDGES) == set(BRIDGE_CLASSES)
    assert set(ENCODERS) == set(ENCODER_CLASSES) and set(DECODERS) == set(DECODER_CLASSES)


def test_bridges() -> None:
    """zero: zeros; copy: the encoder's final state itself; dense: tanh(W s + b) of it."""
    cfg = dict(encoder_units=16, bidirectional=False, attention="luong-dot")
    copy = build_seq2seq(tiny(bridge="copy", **cfg), 12, 12)
    encoded = copy.encoder(SRC)
    _, state = copy.encode(SRC)
    for s, f in zip(state[:2], encoded.final_state):
        np.testing.assert_array_equal(s.numpy(), f.numpy())
    _, zero_state = build_seq2seq(tiny(bridge="zero", **cfg), 12, 12).encode(SRC)
    assert all(not s.numpy().any() for s in zero_state)
    dense = build_seq2seq(tiny(bridge="dense", **cfg), 12, 12)
    encoded, (_, state) = dense.encoder(SRC), dense.encode(SRC)
    layer = dense.bridge.layers[0]
    np.testing.assert_allclose(state[0].numpy(), np.tanh(encoded.final_state[0].numpy() @ layer.kernel.numpy()
                                                         + layer.bias.numpy()), rtol=1e-5, atol=1e-6)
    with pytest.raises(Exception, match="bridge copy"):
        tiny(bridge="copy", encoder_units=8, bidirectional=False).validate()


def test_masked_nll_ignores_padding_and_smooths() -> None:
    model = build_seq2seq(tiny(), 12, 12)
    tgt_out = np.array([[5, 6, 3], [7, 3, 0]], np.int32)
    total, count = masked_nll(model, SRC, TGT_IN, tgt_out)
    logp = tf.nn.log_softmax(model(SRC, TGT_IN)[0]).numpy()
    real = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    expect = -sum(logp[b, t, tgt_out[b, t]] for b, t in real)
    assert int(count) == 5 and float(total) == pytest.approx(expect, rel=1e-5)
    smooth, _ = masked_nll(model, SRC, TGT_IN, tgt_out, 0.1)
    uniform = -sum(logp[b, t].mean() for b, t in real)
    assert float(smooth) == pytest.approx(0.9 * expect + 0.1 * uniform, rel=1e-5)


def test_output_prior_starts_the_model_at_the_unigram_distribution() -> None:
    targets = [np.array([5, 5, 6]), np.array([5, 7]), np.array([5])]  # + </s> (3) once per sentence
    model = build_seq2seq(tiny(), 12, 12)
    set_output_prior(model, targets)
    counts = np.bincount([5, 5, 6, 5, 7, 5, 3, 3, 3], minlength=12) + 0.1
    np.testing.assert_allclose(model.output_layer.bias.numpy(), np.log(counts / counts.sum()), rtol=1e-5)
    # Before any training the mean prediction is already close to the prior, not uniform.
    probs = tf.nn.softmax(model(SRC, TGT_IN)[0]).numpy().reshape(-1, 12).mean(0)
    assert probs.argmax() == 5 and probs[5] > 0.3 > 1 / 12

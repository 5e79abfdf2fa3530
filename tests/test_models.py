"""Model equations: windowed call == step loop, state carried across windows == one long unroll,
Arch 2 teacher-forced in training and fed its own outputs in sampling."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from seqkit.config import CharRNNConfig
from seqkit.models import build_char_model
from seqkit.models.base import unroll

V = 23
CELLS = ["lstm", "gru", "rnn1", "rnn2"]


def tiny(cell: str, **kw):
    tf.keras.utils.set_random_seed(3)
    cfg = CharRNNConfig(cell=cell, units=16, embedding_dim=8, layers=2, **kw)
    return build_char_model(cfg, V)


def ids(shape, seed=0):
    return np.random.default_rng(seed).integers(0, V, shape).astype(np.int32)


@pytest.mark.parametrize("cell", CELLS)
def test_window_equals_step_loop(cell: str) -> None:
    model = tiny(cell)
    x = ids((3, 9))
    state = model.initial_state(3)
    if cell == "rnn2":  # free running: the windowed call is the step loop by definition; check targets path
        y = ids((3, 9), 1)
        logits, _ = model(x, state, targets=y)
        o = state[0]
        for t in range(9):
            h = tf.tanh(model.embedding(x[:, t]) + model.feedback(o))
            np.testing.assert_allclose(logits[:, t], model.head(h), atol=1e-5)
            o = tf.one_hot(y[:, t], V)
        return
    a, sa = model(x, state)
    b, sb = unroll(model, x, state)
    np.testing.assert_allclose(a, b, atol=1e-5)
    for p, q in zip(sa, sb):
        np.testing.assert_allclose(p, q, atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_state_carried_across_windows_equals_one_long_unroll(cell: str) -> None:
    model = tiny(cell)
    x, y = ids((4, 30)), ids((4, 30), 1)
    state = model.initial_state(4)
    whole, _ = model(x, state, targets=y)
    parts = []
    for t0 in range(0, 30, 7):
        logits, state = model(x[:, t0:t0 + 7], state, targets=y[:, t0:t0 + 7])
        parts.append(logits)
    np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, atol=1e-5)


def test_arch2_uses_targets_in_training() -> None:
    model = tiny("rnn2")
    x, y = ids((2, 6)), ids((2, 6), 1)
    y2 = y.copy()
    y2[:, 2] = (y2[:, 2] + 1) % V
    a, _ = model(x, model.initial_state(2), targets=y)
    b, _ = model(x, model.initial_state(2), targets=y2)
    np.testing.assert_allclose(a[:, :3], b[:, :3])  # steps up to 2 do not see target 2
    assert not np.allclose(a[:, 3], b[:, 3])  # step 3 is fed target 2 as its previous output
    assert np.allclose(a[:, 4:], b[:, 4:])  # and only step 3: the feedback is not recurrent beyond it


def test_arch2_feeds_back_its_own_output_distribution_when_sampling() -> None:
    model = tiny("rnn2")
    x = ids((2,))
    logits, (o,), extras = model.step(x, model.initial_state(2))
    assert extras == {}
    np.testing.assert_allclose(o, tf.nn.softmax(logits), atol=1e-6)
    free, _ = model(ids((2, 5)), model.initial_state(2))  # no targets: its own outputs, step by step
    looped, _ = unroll(model, ids((2, 5)), model.initial_state(2))
    np.testing.assert_allclose(free, looped, atol=1e-6)


def test_arch1_activation_choice() -> None:
    relu, tanh = tiny("rnn1", activation="relu"), tiny("rnn1")
    x = ids((2, 4))
    h_relu = relu(x, relu.initial_state(2))[1][0]
    h_tanh = tanh(x, tanh.initial_state(2))[1][0]
    assert float(tf.reduce_min(h_relu)) >= 0 and float(tf.reduce_min(h_tanh)) < 0

"""The step protocol every seqkit sequence model shares.

`step(ids, state, context) -> (logits, state, extras)` advances one id per row: `context` is what the
model reads besides its own state (the encoder output for seq2seq, `()` for language models) and
`extras` what it shows besides logits (`{"attention": [rows, src]}` where there is attention). One
decoding engine drives every model through it, so greedy, beam and sampling work for all of them.
"""

from __future__ import annotations

from typing import Protocol

import keras
import tensorflow as tf

State = tuple
Extras = dict[str, tf.Tensor]


def float32_logits(logits: tf.Tensor) -> tf.Tensor:
    """Logits in float32 whatever the layer computed in (mixed precision), so that softmax, losses and
    decoding scores keep float32's range and precision; a float32 model's logits pass unchanged."""
    return tf.cast(logits, tf.float32)


class StepModel(Protocol):
    """What the decoding engine needs of a model."""

    def step(self, ids: tf.Tensor, state: State, context) -> tuple[tf.Tensor, State, Extras]:
        """Next-id logits [rows, vocab] after `ids` [rows], the new state and the extras."""


class RecurrentLM(keras.Model):
    """A language model over ids with explicit state.

    `call(inputs, state, targets=None, training=False) -> (logits, state)` runs a whole [batch, time]
    window; `step(ids, state, context=()) -> (logits, state, {})` advances one id per stream. Training,
    stateful evaluation and decoding all go through these two, which share one set of weights.
    """

    carries_state = True  # training carries the state from one window to the next (recurrent models)
    xla_speeds_up = False  # --xla auto compiles its step: not slower, and faster at larger batches (README)

    def initial_state(self, batch_size: int) -> State:
        """Zero state for `batch_size` streams, in the dtype the model computes in (that of the state it
        returns)."""
        return tuple(tf.zeros([batch_size, size], self.compute_dtype) for size in self.state_sizes)

    def fresh_state(self, batch_size: int) -> State:
        """The state a window read on its own starts from (the zero state; none for a Transformer)."""
        return self.initial_state(batch_size)

    @property
    def state_sizes(self) -> tuple[int, ...]:
        """Width of each state tensor."""
        raise NotImplementedError

    def step(self, ids: tf.Tensor, state: State, context=()) -> tuple[tf.Tensor, State, Extras]:
        """One id per stream in, next-id logits, the new state and no extras out."""
        raise NotImplementedError


def unroll(model: RecurrentLM, inputs: tf.Tensor, state: State) -> tuple[tf.Tensor, State]:
    """Run `model.step` over the time axis: the reference every windowed `call` must match."""
    logits = []
    for t in range(inputs.shape[1]):
        out, state, _ = model.step(inputs[:, t], state)
        logits.append(out)
    return tf.stack(logits, axis=1), state

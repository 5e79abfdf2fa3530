"""The recurrent interface every seqkit sequence model shares."""

from __future__ import annotations

import keras
import tensorflow as tf

State = tuple[tf.Tensor, ...]


class RecurrentLM(keras.Model):
    """A language model over ids with explicit state.

    `call(inputs, state, targets=None, training=False) -> (logits, state)` runs a whole [batch, time]
    window; `step(inputs, state) -> (logits, state)` advances one id per stream. Training, stateful
    evaluation and sampling all go through these two, which share one set of weights and equations.
    """

    def initial_state(self, batch_size: int) -> State:
        """Zero state for `batch_size` streams."""
        return tuple(tf.zeros([batch_size, size]) for size in self.state_sizes)

    @property
    def state_sizes(self) -> tuple[int, ...]:
        """Width of each state tensor."""
        raise NotImplementedError

    def step(self, inputs: tf.Tensor, state: State) -> tuple[tf.Tensor, State]:
        """One id per stream in, next-id logits and the new state out."""
        raise NotImplementedError

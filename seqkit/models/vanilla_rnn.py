"""The two vanilla RNNs of the seed.

With x one-hot, the concatenated pre-activation [x ; r] [U ; W] + b equals U[x] + r W + b, so U is held
as an embedding table (one row per character) and W as a dense layer on the recurrent input r.
- Arch 1 feeds back the hidden state: r = h.
- Arch 2 feeds back the previous output o: in training (teacher forcing) o is the one-hot previous
  target, in sampling the model's own previous output distribution softmax(logits).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.models.base import RecurrentLM, State, float32_logits, unroll

ACTIVATIONS = {"tanh": tf.tanh, "relu": tf.nn.relu}


class HiddenFeedbackCell(keras.layers.Layer):
    """h' = act(U[x] + h W + b); a Keras RNN cell over the already-looked-up U[x]."""

    def __init__(self, units: int, activation: str = "tanh", **kwargs) -> None:
        super().__init__(**kwargs)
        self.units, self.activation_name = units, activation
        self.state_size = units
        self.recurrent = keras.layers.Dense(units, name="W")

    def build(self, input_shape) -> None:
        self.recurrent.build((None, self.units))

    def call(self, inputs, states):
        h = ACTIVATIONS[self.activation_name](inputs + self.recurrent(states[0]))
        return h, [h]


class VanillaRNN(RecurrentLM):
    """Arch 1: hidden-state feedback, tanh or relu."""

    def __init__(self, vocab_size: int, units: int = 256, activation: str = "tanh", **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.embedding = keras.layers.Embedding(vocab_size, units, name="U")
        self.cell = HiddenFeedbackCell(units, activation, name="cell")
        self.rnn = keras.layers.RNN(self.cell, return_sequences=True, return_state=True)
        self.head = keras.layers.Dense(vocab_size, name="V")

    @property
    def state_sizes(self) -> tuple[int, ...]:
        return (self.units,)

    def call(self, inputs, state: State, targets=None, training: bool = False):
        h_seq, h = self.rnn(self.embedding(inputs), initial_state=list(state), training=training)
        return float32_logits(self.head(h_seq)), (h,)

    def step(self, ids, state: State, context=()):
        h, _ = self.cell(self.embedding(ids), list(state))
        return float32_logits(self.head(h)), (h,), {}


class OutputFeedbackRNN(RecurrentLM):
    """Arch 2: h = tanh(U[x] + o W + b), logits = h V + c, with o the previous output."""

    def __init__(self, vocab_size: int, units: int = 256, **kwargs) -> None:
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.embedding = keras.layers.Embedding(vocab_size, units, name="U")
        self.feedback = keras.layers.Dense(units, name="W")
        self.head = keras.layers.Dense(vocab_size, name="V")

    @property
    def state_sizes(self) -> tuple[int, ...]:
        return (self.vocab_size,)

    def _logits(self, inputs, o):
        return float32_logits(self.head(tf.tanh(self.embedding(inputs) + self.feedback(o))))

    def call(self, inputs, state: State, targets=None, training: bool = False):
        if targets is None:  # free running: the model's own outputs, one step at a time
            return unroll(self, inputs, state)
        # Teacher forcing: o at step t is the one-hot target of step t-1, so all steps run at once.
        feedback = tf.one_hot(targets, self.vocab_size, dtype=self.compute_dtype)
        o = tf.concat([state[0][:, None, :], feedback[:, :-1]], axis=1)
        return self._logits(inputs, o), (feedback[:, -1],)

    def step(self, ids, state: State, context=()):
        logits = self._logits(ids, state[0])
        return logits, (tf.cast(tf.nn.softmax(logits), self.compute_dtype),), {}


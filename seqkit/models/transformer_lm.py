"""Decoder-only Transformer language model (GPT-style) with the step protocol of every seqkit LM.

Training and windowed evaluation run whole windows with causal attention and carry nothing from one
window to the next (as nanoGPT). Decoding steps with a key/value cache of `context` positions, the
training window length, which is the most it has learned to use: when the cache is full the last half
is re-encoded at positions 0..context/2 - 1 and generation goes on, so any length can be generated and
each new id sees between context/2 and context ids before it. A windowed `call` with a cache state
(a prime, stateful evaluation) is a loop of `step`, so both give the same numbers.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.models.base import RecurrentLM, State, float32_logits
from seqkit.models.transformer import TransformerStack, causal_mask


class TransformerLM(RecurrentLM):
    """ids -> TransformerStack (causal self-attention) -> logits. The decoding state is (length [B],
    ids [B, context], (keys, values) [B, context, dim] per block)."""

    carries_state = False
    xla_speeds_up = True

    def __init__(self, vocab_size: int, layers: int = 4, dim: int = 256, heads: int = 4, ff_dim: int = 1024,
                 dropout: float = 0.0, positions: str = "learned", norm: str = "pre", context: int = 256,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.dim, self.context, self.depth = dim, context, layers
        self.stack = TransformerStack(vocab_size, layers, dim, heads, ff_dim, dropout, dropout, positions,
                                      norm, context, cross=False, name="stack")
        self.head = keras.layers.Dense(vocab_size, name="logits")

    def build(self, input_shape=None) -> None:
        """Nothing to build ahead: the sublayers build on their first call."""
        self.built = True

    def initial_state(self, batch_size: int) -> State:
        """An empty cache for `batch_size` streams."""
        zeros = tf.zeros([batch_size, self.context, self.dim], self.compute_dtype)
        return (tf.zeros([batch_size], tf.int32), tf.zeros([batch_size, self.context], tf.int32),
                ((zeros, zeros),) * self.depth)

    def fresh_state(self, batch_size: int) -> State:
        """No state: each window is read on its own."""
        return ()

    def call(self, inputs, state: State, targets=None, training: bool = False):
        """Logits of a window: on its own when `state` is () (training), else after the cached ids."""
        if not state:
            x, _, _ = self.stack.run(inputs, causal_mask(tf.shape(inputs)[1]), training=training)
            return float32_logits(self.head(x)), ()

        inputs = tf.cast(inputs, tf.int32)

        def one(t, state, logits):
            out, state, _ = self.step(inputs[:, t], state)
            return t + 1, state, logits.write(t, out)

        length = tf.shape(inputs)[1]
        _, state, logits = tf.while_loop(lambda t, *_: t < length, one,
                                         (0, tuple(state), tf.TensorArray(tf.float32, size=length)))
        return tf.transpose(logits.stack(), [1, 0, 2]), state

    def _shift(self, state: State) -> State:
        """The cache of the last context/2 ids, re-encoded at the first positions."""
        keep = state[1][:, self.context - self.context // 2:]
        _, caches, _ = self.stack.run(keep, causal_mask(tf.shape(keep)[1]))
        pad = [[0, 0], [0, self.context - self.context // 2], [0, 0]]
        caches = tuple((tf.pad(k, pad), tf.pad(v, pad)) for k, v in caches)
        return tf.fill(tf.shape(state[0]), self.context // 2), tf.pad(keep, pad[:2]), caches

    def step(self, ids, state: State, context=()):
        length, tokens, caches = tf.cond(tf.reduce_any(state[0] >= self.context), lambda: self._shift(state),
                                         lambda: tuple(state))
        x, caches, _ = self.stack.run_step(ids, length, caches)
        here = tf.range(self.context)[None, :] == length[:, None]
        tokens = tf.where(here, tf.cast(ids, tf.int32)[:, None], tokens)
        return float32_logits(self.head(x)), (length + 1, tokens, caches), {}

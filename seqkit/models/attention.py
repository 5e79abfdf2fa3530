"""Attention over encoder states, selectable by name, with source padding masked out.

- `luong-dot`:     score = h_t . h_s (scaled: / sqrt(units))
- `luong-general`: score = h_t . W h_s (scaled: / sqrt(units))
- `luong-concat`:  score = v . tanh(W [h_s ; h_t])  (Luong et al. 2015, eq. 8)
- `bahdanau`:      score = v . tanh(W1 h_s + W2 h_t + b); normed: v = g v / |v| (weight normalization)

Source-side projections (W h_s, W1 h_s) depend only on the encoder, so `keys` computes them once per
sentence and every decoder step reuses them. The tanh and v are what make additive attention depend
on h_t at all: a single linear layer W [h_s ; h_t] adds the same w2 . h_t to every source position,
which softmax ignores (see tests/test_nmt_attention.py).
"""

from __future__ import annotations

import keras
import tensorflow as tf

NEG = -1e9  # a score that softmax turns into exactly 0 in float32


class Attention(keras.layers.Layer):
    """score(query, keys) -> masked softmax weights -> context = weights . memory."""

    def __init__(self, kind: str, units: int, scaled: bool = False, normed: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind, self.units, self.scaled, self.normed = kind, units, scaled, normed
        if kind in ("luong-general", "luong-concat", "bahdanau"):
            self.memory_proj = keras.layers.Dense(units, use_bias=False, name="memory_proj")
        if kind in ("luong-concat", "bahdanau"):
            self.query_proj = keras.layers.Dense(units, use_bias=kind == "bahdanau", name="query_proj")
            self.v = self.add_weight(shape=(units,), initializer="glorot_uniform", name="v")
        if kind == "bahdanau" and normed:
            self.g = self.add_weight(shape=(), initializer=keras.initializers.Constant(units ** -0.5),
                                     name="g")

    def keys(self, memory: tf.Tensor) -> tf.Tensor:
        """The source-side part of the score, once per sentence: [batch, src, units]."""
        return memory if self.kind == "luong-dot" else self.memory_proj(memory)

    def scores(self, query: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        """Unnormalized scores [batch, src] of one decoder state [batch, units] against the keys."""
        if self.kind in ("luong-dot", "luong-general"):
            s = tf.einsum("bsu,bu->bs", keys, query)
            return s * self.units ** -0.5 if self.scaled else s
        v = self.g * self.v / tf.norm(self.v) if self.normed else self.v
        return tf.einsum("bsu,u->bs", tf.tanh(keys + self.query_proj(query)[:, None, :]), v)

    def call(self, query: tf.Tensor, keys: tf.Tensor, memory: tf.Tensor,
             mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(context [batch, memory units], weights [batch, src]); weights are 0 where mask is False."""
        weights = tf.nn.softmax(tf.where(mask, self.scores(query, keys), NEG))
        return tf.einsum("bs,bsu->bu", weights, memory), weights

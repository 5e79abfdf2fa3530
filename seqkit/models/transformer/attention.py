"""Multi-head scaled dot-product attention whose projected keys and values a decoder can cache.

Written here rather than with keras.layers.MultiHeadAttention: incremental decoding must cache the
*projected* keys and values, and Keras's layer projects its key and value inputs on every call, so a
cached step would re-project the whole prefix each time (O(t) matmuls a step instead of O(1)). Self-
attention also projects query, key and value with one fused matmul instead of three.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from seqkit.errors import ConfigError

NEG = -1e9  # a score that softmax turns into exactly 0 in float32
# (in float16, where -1e9 overflows to -inf, its lowest finite value instead)


class MultiHeadAttention(keras.layers.Layer):
    """softmax(q k^T / sqrt(d_head)) v over `heads` heads, then one output projection."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if dim % heads:
            raise ConfigError(f"model_dim ({dim}) must be a multiple of heads ({heads})")
        self.dim, self.heads = dim, heads
        self.output_dense = keras.layers.Dense(dim, name="output")
        self.dropout = keras.layers.Dropout(dropout)

    def _split(self, x: tf.Tensor) -> tf.Tensor:
        """[batch, time, dim] -> [batch, time, heads, dim / heads]: a reshape, no transpose, so that a
        cached step does not move its whole cache."""
        shape = tf.shape(x)
        return tf.reshape(x, [shape[0], shape[1], self.heads, self.dim // self.heads])

    def attend(self, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor,
               training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """(output [batch, q_len, dim], weights [batch, heads, q_len, k_len]); `mask` [batch, q_len or 1,
        k_len] is False where a query must not look."""
        q, k, v = self._split(q), self._split(k), self._split(v)
        scores = tf.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(self.dim // self.heads)
        weights = tf.nn.softmax(tf.where(mask[:, None], scores, max(NEG, float(scores.dtype.min))))
        out = tf.einsum("bhqk,bkhd->bqhd", self.dropout(weights, training=training), v)
        shape = tf.shape(out)
        return self.output_dense(tf.reshape(out, [shape[0], shape[1], self.dim])), weights


class SelfAttention(MultiHeadAttention):
    """Attention of a sequence over itself; `step` adds one position to a fixed-size key/value cache."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(dim, heads, dropout, **kwargs)
        self.qkv = keras.layers.Dense(3 * dim, name="qkv")

    def call(self, x: tf.Tensor, mask: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tuple]:
        """(output, (keys, values) [batch, time, dim]) of a whole sequence."""
        q, k, v = tf.split(self.qkv(x), 3, -1)
        return self.attend(q, k, v, mask, training)[0], (k, v)

    def step(self, x: tf.Tensor, cache: tuple, position: tf.Tensor) -> tuple[tf.Tensor, tuple]:
        """x [batch, 1, dim] at `position` [batch]: its key and value go into slot `position` of the
        cache [batch, capacity, dim] x 2, and it attends to slots 0..position."""
        q, k, v = tf.split(self.qkv(x), 3, -1)
        # a scatter of one row per stream, not a select over the whole cache: O(dim), not O(capacity x dim)
        where = tf.stack([tf.range(tf.shape(position)[0]), position], 1)
        cache = (tf.tensor_scatter_nd_update(cache[0], where, k[:, 0]),
                 tf.tensor_scatter_nd_update(cache[1], where, v[:, 0]))
        slots = tf.range(tf.shape(cache[0])[1])[None, :]
        out, _ = self.attend(q, *cache, (slots <= position[:, None])[:, None, :])
        return out, cache

    def append(self, x: tf.Tensor, cache: tuple) -> tuple[tf.Tensor, tuple]:
        """x [batch, 1, dim] after the positions in a growing cache [batch, t, dim] x 2: it attends to them
        and itself, and the cache grows by one. A step then costs O(t), not O(the longest output), in the
        copies that beam search's reordering makes of it."""
        q, k, v = tf.split(self.qkv(x), 3, -1)
        cache = (tf.concat([cache[0], k], 1), tf.concat([cache[1], v], 1))
        out, _ = self.attend(q, *cache, tf.ones_like(cache[0][:, None, :, 0], tf.bool))
        return out, cache


class CrossAttention(MultiHeadAttention):
    """Attention of decoder positions over encoder memory, whose keys and values are projected once."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(dim, heads, dropout, **kwargs)
        self.query = keras.layers.Dense(dim, name="query")
        self.key_value = keras.layers.Dense(2 * dim, name="key_value")

    def keys_values(self, memory: tf.Tensor) -> tf.Tensor:
        """The memory's keys and values [batch, src, 2 dim], once per sentence."""
        return self.key_value(memory)

    def call(self, x: tf.Tensor, keys_values: tf.Tensor, mask: tf.Tensor,
             training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """(output, weights [batch, heads, q_len, src]); `mask` [batch, src] is False on padding."""
        k, v = tf.split(keys_values, 2, -1)
        return self.attend(self.query(x), k, v, mask[:, None, :], training)

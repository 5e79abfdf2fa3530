"""The Transformer's layers: positions, a block (self-attention, optional cross-attention, feed-forward,
each a residual sublayer) and a stack of blocks over embedded ids.

Pre-layer-norm by default (norm inside each residual branch and once after the stack: trains without
warm-up tricks at any depth), post-norm (Vaswani et al. 2017) as an option. The encoder, the decoder
and the decoder-only language model are this stack with different masks and cross-attention on or off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import tensorflow as tf

from seqkit.models.transformer.attention import CrossAttention, SelfAttention


def causal_mask(length: tf.Tensor) -> tf.Tensor:
    """[1, length, length]: position i sees positions 0..i."""
    steps = tf.range(length)
    return (steps[None, :] <= steps[:, None])[None]


class Positions(keras.layers.Layer):
    """Position vectors: sinusoids of geometric wavelengths (any length), or a learned table."""

    def __init__(self, kind: str, dim: int, max_positions: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind, self.dim, self.max_positions = kind, dim, max_positions
        self.table = keras.layers.Embedding(max_positions, dim, name="table") if kind == "learned" else None

    def call(self, positions: tf.Tensor) -> tf.Tensor:
        """[..., dim] for int positions [...]."""
        if self.table is not None:
            return self.table(tf.minimum(positions, self.max_positions - 1))
        rates = tf.exp(tf.range(0, self.dim, 2, tf.float32) * (-math.log(10000.0) / self.dim))
        angles = tf.cast(positions, tf.float32)[..., None] * rates  # float32: float16 angles lose the phase
        return tf.cast(tf.concat([tf.sin(angles), tf.cos(angles)], -1)[..., :self.dim], self.compute_dtype)


class FeedForward(keras.layers.Layer):
    """Dense(ff_dim, gelu) -> Dense(dim), position by position."""

    def __init__(self, dim: int, ff_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(ff_dim, activation="gelu", name="inner")
        self.outer = keras.layers.Dense(dim, name="outer")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return self.outer(self.inner(x))


class Block(keras.layers.Layer):
    """Self-attention, cross-attention (decoders), feed-forward; each x + dropout(sublayer(norm(x)))
    (pre-norm) or norm(x + dropout(sublayer(x))) (post-norm)."""

    def __init__(self, dim: int, heads: int, ff_dim: int, dropout: float, attention_dropout: float,
                 pre_norm: bool, cross: bool, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pre_norm = pre_norm
        self.self_attention = SelfAttention(dim, heads, attention_dropout, name="self_attention")
        self.cross_attention = (CrossAttention(dim, heads, attention_dropout, name="cross_attention")
                                if cross else None)
        self.feed_forward = FeedForward(dim, ff_dim, name="feed_forward")
        self.norms = [keras.layers.LayerNormalization(epsilon=1e-6, name=f"norm_{i}")
                      for i in range(3 if cross else 2)]
        self.dropout = keras.layers.Dropout(dropout)

    def _residual(self, x: tf.Tensor, norm: keras.layers.Layer, sublayer: Callable,
                  training: bool) -> tuple[tf.Tensor, object]:
        out, extra = sublayer(norm(x) if self.pre_norm else x)
        x = x + self.dropout(out, training=training)
        return (x if self.pre_norm else norm(x)), extra

    def _rest(self, x: tf.Tensor, cross: tuple | None, training: bool) -> tuple[tf.Tensor, tf.Tensor | None]:
        """Cross-attention (when the block has it) and the feed-forward sublayer."""
        weights = None
        if self.cross_attention is not None:
            x, weights = self._residual(x, self.norms[1], lambda y: self.cross_attention(
                y, *cross, training=training), training)
        x, _ = self._residual(x, self.norms[-1], lambda y: (self.feed_forward(y), None), training)
        return x, weights

    def call(self, x: tf.Tensor, mask: tf.Tensor, cross: tuple | None = None,
             training: bool = False) -> tuple[tf.Tensor, tuple, tf.Tensor | None]:
        """(output, this block's (keys, values), cross-attention weights or None) of a whole sequence;
        `cross` is (memory keys_values, memory mask)."""
        x, kv = self._residual(x, self.norms[0], lambda y: self.self_attention(y, mask, training=training),
                               training)
        x, weights = self._rest(x, cross, training)
        return x, kv, weights

    def step(self, x: tf.Tensor, cache: tuple, position: tf.Tensor,
             cross: tuple | None = None) -> tuple[tf.Tensor, tuple, tf.Tensor | None]:
        """One position [batch, 1, dim] with the cache of the ones before: (output, cache, weights). The
        cache has a fixed capacity (written at `position`), or grows when `position` is None."""
        attend = (lambda y: self.self_attention.append(y, cache)) if position is None else \
            (lambda y: self.self_attention.step(y, cache, position))
        x, cache = self._residual(x, self.norms[0], attend, False)
        x, weights = self._rest(x, cross, False)
        return x, cache, weights


class TransformerStack(keras.layers.Layer):
    """ids -> embedding * sqrt(dim) + positions -> dropout -> blocks -> final norm (pre-norm)."""

    def __init__(self, vocab_size: int, layers: int, dim: int, heads: int, ff_dim: int, dropout: float,
                 attention_dropout: float, positions: str, norm: str, max_positions: int, cross: bool,
                 embedding: keras.layers.Embedding | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.embedding = embedding or keras.layers.Embedding(vocab_size, dim, name="embedding")
        self.positions = Positions(positions, dim, max_positions, name="positions")
        self.blocks = [Block(dim, heads, ff_dim, dropout, attention_dropout, norm == "pre", cross,
                             name=f"block_{i}") for i in range(layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm") if norm == "pre" \
            else None
        self.dropout = keras.layers.Dropout(dropout)

    def build(self, input_shape=None) -> None:
        """Nothing to build ahead: the sublayers build on their first call."""
        self.built = True

    def embed(self, ids: tf.Tensor, positions: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Scaled embeddings plus positions, dropped out."""
        x = self.embedding(ids) * math.sqrt(self.dim) + self.positions(positions)
        return self.dropout(x, training=training)

    def finish(self, x: tf.Tensor) -> tf.Tensor:
        """The final layer norm of a pre-norm stack."""
        return self.final_norm(x) if self.final_norm is not None else x

    def run(self, ids: tf.Tensor, mask: tf.Tensor, cross: Callable[[int], tuple] | None = None,
            training: bool = False) -> tuple[tf.Tensor, list[tuple], tf.Tensor | None]:
        """(output [batch, time, dim], (keys, values) per block, the last block's cross-attention weights)
        of whole sequences; `cross(i)` gives block i its (memory keys_values, memory mask)."""
        x = self.embed(ids, tf.range(tf.shape(ids)[1])[None], training)
        caches, weights = [], None
        for i, block in enumerate(self.blocks):
            x, kv, weights = block(x, mask, cross(i) if cross else None, training=training)
            caches.append(kv)
        return self.finish(x), caches, weights

    def run_step(self, ids: tf.Tensor, position: tf.Tensor, caches: tuple,
                 cross: Callable[[int], tuple] | None = None, grow: bool = False
                 ) -> tuple[tf.Tensor, tuple, tf.Tensor | None]:
        """(output [batch, dim], updated caches, the last block's cross-attention weights) for one id per
        row at `position` [batch]; `grow`: the caches hold exactly the positions before and grow by one."""
        x = self.embed(ids[:, None], position[:, None])
        new, weights = [], None
        for i, (block, cache) in enumerate(zip(self.blocks, caches)):
            x, cache, weights = block.step(x, cache, None if grow else position, cross(i) if cross else None)
            new.append(cache)
        return self.finish(x)[:, 0], tuple(new), weights

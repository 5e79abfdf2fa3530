"""Transformer decoder: causal self-attention over the target so far, cross-attention over the encoder
memory, feed-forward; `step` adds one position to a key/value cache held in the state, so every
decoding strategy drives it like any other decoder, and a cached step equals the full forward pass
(tests/test_transformer.py).
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import tensorflow as tf

from seqkit.decoding.defaults import MAX_OUTPUT
from seqkit.models.base import Extras, State, float32_logits
from seqkit.models.encoders.base import Encoded
from seqkit.models.transformer import TransformerStack, causal_mask


class CrossContext(NamedTuple):
    """The encoder output as every decoder block reads it: its keys and values, once per sentence."""

    keys_values: tuple  # per block: [batch, src, 2 model_dim]
    mask: tf.Tensor  # [batch, src] bool, False on padding


class TiedOutput(keras.layers.Layer):
    """Logits from the target embedding matrix (transposed) plus a bias: the output side of tied
    embeddings (Press & Wolf 2017)."""

    def __init__(self, embedding: keras.layers.Embedding, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding, self.units = embedding, embedding.input_dim

    def build(self, input_shape) -> None:
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return tf.matmul(x, self.embedding.embeddings, transpose_b=True) + self.bias


class TransformerDecoder(TransformerStack):
    """(ids, state, CrossContext) -> next-word logits, with the last block's cross-attention (mean over
    heads) as extras. The state is (position [batch], (keys, values) [batch, t, model_dim] per block),
    the cache growing by one position a step."""

    def __init__(self, vocab_size: int, *args, tie_output: bool = False, **kwargs) -> None:
        super().__init__(vocab_size, *args, **kwargs)
        self.output_layer = (TiedOutput(self.embedding, name="logits") if tie_output
                             else keras.layers.Dense(vocab_size, name="logits"))

    @classmethod
    def from_config_of(cls, cfg, vocab_size: int,
                       embedding: keras.layers.Embedding | None = None) -> TransformerDecoder:
        """The decoder an NMTConfig describes (with a shared embedding when the config ties them)."""
        return cls(vocab_size, cfg.layers, cfg.model_dim, cfg.heads, cfg.ff_dim, cfg.dropout, cfg.dropout,
                   cfg.positions, cfg.norm, MAX_OUTPUT, cross=True, embedding=embedding,
                   tie_output=cfg.tie_embeddings, name="decoder")

    @property
    def cell_state_sizes(self) -> tuple[int, ...]:
        """No recurrent state for a bridge to fill."""
        return ()

    def context(self, encoded: Encoded) -> CrossContext:
        """Each block's projection of the memory, computed once per sentence."""
        return CrossContext(tuple(block.cross_attention.keys_values(encoded.memory) for block in self.blocks),
                            encoded.mask)

    def initial_state(self, cell_state: tuple, batch: tf.Tensor) -> State:
        """Position 0 and an empty cache, which grows by one position a step."""
        empty = tf.zeros([batch, 0, self.dim], self.compute_dtype)
        return tf.zeros([batch], tf.int32), ((empty, empty),) * len(self.blocks)

    def _cross(self, context: CrossContext):
        return lambda i: (context.keys_values[i], context.mask)

    def step(self, ids: tf.Tensor, state: State, context: CrossContext) -> tuple[tf.Tensor, State, Extras]:
        position, caches = state
        x, caches, weights = self.run_step(ids, position, caches, self._cross(context), grow=True)
        attention = tf.cast(tf.reduce_mean(weights, 1)[:, 0], tf.float32)
        return float32_logits(self.output_layer(x)), (position + 1, caches), {"attention": attention}

    def call(self, tgt_in: tf.Tensor, state: State, context: CrossContext,
             training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing: the vectors [batch, tgt, model_dim] that `output_layer` turns into logits and
        the last block's cross-attention weights [batch, tgt, src] (mean over heads)."""
        x, _, weights = self.run(tgt_in, causal_mask(tf.shape(tgt_in)[1]), self._cross(context), training)
        return x, tf.reduce_mean(weights, 1)

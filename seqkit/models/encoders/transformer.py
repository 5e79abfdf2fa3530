"""Transformer encoder: embedded source ids (with positions) through self-attention blocks that do not
look at padding. It has no final state: a recurrent decoder after it starts from zeros (--bridge zero)
and reads it through attention."""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.decoding.defaults import MAX_SOURCE
from seqkit.models.encoders.base import Encoded
from seqkit.models.transformer import TransformerStack


class TransformerEncoder(TransformerStack):
    """src ids [batch, src] -> Encoded(memory [batch, src, model_dim], mask, final_state=())."""

    @classmethod
    def from_config_of(cls, cfg, vocab_size: int,
                       embedding: keras.layers.Embedding | None = None) -> TransformerEncoder:
        """The encoder an NMTConfig describes (with a shared embedding when the config ties them)."""
        return cls(vocab_size, cfg.layers, cfg.model_dim, cfg.heads, cfg.ff_dim, cfg.dropout, cfg.dropout,
                   cfg.positions, cfg.norm, MAX_SOURCE, cross=False, embedding=embedding, name="encoder")

    def call(self, src: tf.Tensor, training: bool = False) -> Encoded:
        mask = tf.not_equal(src, 0)
        memory, _, _ = self.run(src, mask[:, None, :], training=training)
        return Encoded(memory, mask, ())

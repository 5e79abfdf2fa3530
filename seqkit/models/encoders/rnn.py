"""Recurrent encoder: embedding, then (bi-)LSTM/GRU layers with dropout between them and optional
residual connections. A bidirectional layer has half the encoder units each way, so its output has
`units` either way."""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.models.encoders.base import Encoded

LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


class RNNEncoder(keras.layers.Layer):
    """src ids [batch, src] -> Encoded(memory [batch, src, units], mask, final state of the top layer)."""

    def __init__(self, vocab_size: int, cell: str = "lstm", units: int = 512, layers: int = 1,
                 embedding_dim: int = 256, bidirectional: bool = True, dropout: float = 0.0,
                 residual: bool = False, embedding: keras.layers.Embedding | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.residual, self.bidirectional = residual, bidirectional
        self.embedding = embedding or keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
        self.layers = [self._layer(cell, units, bidirectional, i) for i in range(layers)]
        self.dropout = keras.layers.Dropout(dropout)

    @classmethod
    def from_config_of(cls, cfg, vocab_size: int,
                       embedding: keras.layers.Embedding | None = None) -> RNNEncoder:
        """The encoder an NMTConfig describes (with a shared embedding when given)."""
        return cls(vocab_size, cell=cfg.cell, units=cfg.encoder_size, layers=cfg.layers,
                   embedding_dim=cfg.embedding_dim, bidirectional=cfg.bidirectional, dropout=cfg.dropout,
                   residual=cfg.residual, embedding=embedding, name="encoder")

    @staticmethod
    def _layer(cell: str, units: int, bidirectional: bool, i: int) -> keras.layers.Layer:
        if bidirectional:
            rnn = LAYERS[cell](units // 2, return_sequences=True, return_state=True, name=cell)
            return keras.layers.Bidirectional(rnn, name=f"bi{cell}_{i}")
        return LAYERS[cell](units, return_sequences=True, return_state=True, name=f"{cell}_{i}")

    def call(self, src: tf.Tensor, training: bool = False) -> Encoded:
        mask = tf.not_equal(src, 0)
        x = self.embedding(src)
        final: list[tf.Tensor] = []
        for i, layer in enumerate(self.layers):
            out, *final = layer(self.dropout(x, training=training), mask=mask, training=training)
            x = x + out if self.residual and i > 0 else out
        if self.bidirectional:  # [h_f, c_f, h_b, c_b] -> [h, c]
            half = len(final) // 2
            final = [tf.concat([f, b], -1) for f, b in zip(final[:half], final[half:])]
        return Encoded(x, mask, tuple(final))

"""Attentional recurrent decoder with input feeding (Luong et al. 2015).

A stack of LSTM/GRU cells whose input is the previous target word joined (input feeding) with the
previous attentional vector; attention reads the top cell's output h_t, and the attentional vector
tanh(Wc [context ; h_t]) feeds the softmax. Without attention the top cell's output feeds it.
`step` is the one decoder step: teacher forcing (`call`) scans it over the target, and every
decoding strategy calls it once per output word.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.models.attention import build_attention
from seqkit.models.base import Extras, State, float32_logits
from seqkit.models.decoders.base import Context
from seqkit.models.encoders.base import Encoded

CELLS = {"lstm": keras.layers.LSTMCell, "gru": keras.layers.GRUCell}


class RNNDecoder(keras.layers.Layer):
    """(ids, state, Context) -> next-word logits, with attention weights as extras."""

    def __init__(self, vocab_size: int, cell: str = "lstm", units: int = 256, layers: int = 1,
                 embedding_dim: int = 256, dropout: float = 0.0, residual: bool = False,
                 attention: keras.layers.Layer | None = None, input_feeding: bool = True,
                 embedding: keras.layers.Embedding | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units, self.residual = units, residual
        self.per_layer = 2 if cell == "lstm" else 1
        self.input_feeding = input_feeding and attention is not None
        self.embedding = embedding or keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
        self.cells = [CELLS[cell](units, name=f"{cell}_{i}") for i in range(layers)]
        self.attention = attention
        self.combine = (keras.layers.Dense(units, activation="tanh", use_bias=False, name="combine")
                        if attention is not None else None)
        self.dropout = keras.layers.Dropout(dropout)
        self.output_layer = keras.layers.Dense(vocab_size, name="logits")

    @classmethod
    def from_config_of(cls, cfg, vocab_size: int,
                       embedding: keras.layers.Embedding | None = None) -> RNNDecoder:
        """The decoder an NMTConfig describes (with a shared embedding when given)."""
        return cls(vocab_size, cell=cfg.cell, units=cfg.units, layers=cfg.layers,
                   embedding_dim=cfg.embedding_dim, dropout=cfg.dropout, residual=cfg.residual,
                   attention=build_attention(cfg), input_feeding=cfg.input_feeding, embedding=embedding,
                   name="decoder")

    def build(self, input_shape=None) -> None:
        """Nothing to build ahead: the sublayers build on their first call."""
        self.built = True

    @property
    def cell_state_sizes(self) -> tuple[int, ...]:
        """The recurrent state a bridge fills: (h, c) per LSTM layer, h per GRU layer."""
        return (self.units,) * (self.per_layer * len(self.cells))

    def context(self, encoded: Encoded) -> Context:
        """What every step reads of the encoder: the attention keys are computed here, once."""
        keys = self.attention.keys(encoded.memory) if self.attention is not None else encoded.memory
        return Context(encoded.memory, keys, encoded.mask)

    def initial_state(self, cell_state: tuple, batch: tf.Tensor) -> State:
        """The bridged cell state, then a zero attentional vector for input feeding."""
        return tuple(cell_state) + ((tf.zeros([batch, self.units], self.compute_dtype),)
                                    if self.input_feeding else ())

    def vector_step(self, x: tf.Tensor, state: State, context: Context,
                    training: bool = False) -> tuple[tf.Tensor, State, tf.Tensor]:
        """One target position from its embedded input: (attentional vector, new state, weights)."""
        if self.input_feeding:
            x = tf.concat([x, state[-1]], -1)
        new_state: list[tf.Tensor] = []
        for i, cell in enumerate(self.cells):
            s = list(state[i * self.per_layer:(i + 1) * self.per_layer])
            out, s = cell(x, s if self.per_layer > 1 else s[0], training=training)
            new_state += list(s) if isinstance(s, (list, tuple)) else [s]
            x = x + out if self.residual and i > 0 else out
        if self.attention is None:
            return x, tuple(new_state), tf.zeros(tf.shape(context.mask), x.dtype)
        attended, weights = self.attention(x, context.keys, context.memory, context.mask)
        vector = self.combine(tf.concat([attended, x], -1))
        return vector, tuple(new_state) + ((vector,) if self.input_feeding else ()), weights

    def step(self, ids: tf.Tensor, state: State, context: Context) -> tuple[tf.Tensor, State, Extras]:
        vector, state, weights = self.vector_step(self.embedding(ids), state, context)
        return float32_logits(self.output_layer(vector)), state, {"attention": tf.cast(weights, tf.float32)}

    def call(self, tgt_in: tf.Tensor, state: State, context: Context,
             training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing: the attentional vectors [batch, tgt, units] that `output_layer` turns into
        logits (left to the caller, which may skip padding), and attention weights [batch, tgt, src]."""
        x = tf.transpose(self.dropout(self.embedding(tgt_in), training=training), [1, 0, 2])
        first = (state, tf.zeros([tf.shape(tgt_in)[0], self.units], self.compute_dtype),
                 tf.zeros(tf.shape(context.mask), self.compute_dtype))

        def one(carry, x_t):
            vector, new_state, weights = self.vector_step(x_t, carry[0], context, training)
            return new_state, vector, weights

        _, vectors, weights = tf.scan(one, x, first)
        vectors = self.dropout(tf.transpose(vectors, [1, 0, 2]), training=training)
        return vectors, tf.transpose(weights, [1, 0, 2])

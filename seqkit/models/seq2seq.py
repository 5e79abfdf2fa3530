"""Attentional encoder-decoder (Luong et al. 2015): the NMT model.

Encoder: embedding, then `layers` (bi-)LSTM/GRU layers with dropout between them and optional residual
connections; a bidirectional layer has half the encoder units per direction, so its output has
`encoder_units` (by default the decoder's `units`) either way; NMTConfig's default is `units` each way.
Decoder: a stack of LSTM/GRU cells whose input is the previous target word joined (input feeding)
with the previous attentional vector; attention reads the top cell's output h_t, and the attentional
vector tanh(Wc [context ; h_t]) feeds the softmax. Its state starts from the encoder's final state
through a dense bridge, or from zeros.

`step(ids, state, enc) -> (logits, state, weights)` is the one decoder step: teacher forcing scans it
over the target, and greedy and beam search call it once per output word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from seqkit.data.vocab import Vocab
from seqkit.models.attention import Attention

State = tuple[tf.Tensor, ...]
LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
CELLS = {"lstm": keras.layers.LSTMCell, "gru": keras.layers.GRUCell}


class Encoded(NamedTuple):
    """What the decoder reads of a source batch: states, their attention keys and the padding mask."""

    memory: tf.Tensor  # [batch, src, units]
    keys: tf.Tensor  # [batch, src, attention units]
    mask: tf.Tensor  # [batch, src] bool, False on padding


class Seq2Seq(keras.Model):
    """Encoder, bridge and attentional decoder with input feeding."""

    def __init__(self, src_vocab: int, tgt_vocab: int, cell: str = "lstm", units: int = 256, layers: int = 1,
                 embedding_dim: int = 256, bidirectional: bool = True, dropout: float = 0.0,
                 residual: bool = False, attention: str = "luong-general", scaled: bool = False,
                 normed: bool = False, input_feeding: bool = True, bridge: str = "dense",
                 encoder_units: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cell_type, self.units, self.residual = cell, units, residual
        self.input_feeding = input_feeding and attention != "none"
        self.src_embedding = keras.layers.Embedding(src_vocab, embedding_dim, name="src_embedding")
        self.tgt_embedding = keras.layers.Embedding(tgt_vocab, embedding_dim, name="tgt_embedding")
        self.encoder = [self._encoder_layer(cell, encoder_units or units, bidirectional, i)
                        for i in range(layers)]
        self.cells = [CELLS[cell](units, name=f"decoder_{cell}_{i}") for i in range(layers)]
        per_layer = 2 if cell == "lstm" else 1
        self.bridge = ([keras.layers.Dense(units, activation="tanh", name=f"bridge_{i}")
                        for i in range(layers * per_layer)] if bridge == "dense" else [])
        self.attention, self.combine = None, None
        if attention != "none":
            self.attention = Attention(attention, units, scaled, normed, name="attention")
            self.combine = keras.layers.Dense(units, activation="tanh", use_bias=False, name="attentional")
        self.dropout = keras.layers.Dropout(dropout)
        self.output_layer = keras.layers.Dense(tgt_vocab, name="logits")

    @staticmethod
    def _encoder_layer(cell: str, units: int, bidirectional: bool, i: int) -> keras.layers.Layer:
        if bidirectional:
            rnn = LAYERS[cell](units // 2, return_sequences=True, return_state=True)
            return keras.layers.Bidirectional(rnn, name=f"encoder_bi{cell}_{i}")
        return LAYERS[cell](units, return_sequences=True, return_state=True, name=f"encoder_{cell}_{i}")

    # --- encoder -----------------------------------------------------------------------------------
    def encode(self, src: tf.Tensor, training: bool = False) -> tuple[Encoded, State]:
        """Encoder states of padded source ids, and the decoder's initial state."""
        mask = tf.not_equal(src, 0)
        x = self.src_embedding(src)
        final: list[tf.Tensor] = []
        for i, layer in enumerate(self.encoder):
            out, *final = layer(self.dropout(x, training=training), mask=mask, training=training)
            x = x + out if self.residual and i > 0 else out
        if isinstance(self.encoder[-1], keras.layers.Bidirectional):  # [h_f, c_f, h_b, c_b] -> [h, c]
            half = len(final) // 2
            final = [tf.concat([f, b], -1) for f, b in zip(final[:half], final[half:])]
        keys = self.attention.keys(x) if self.attention else x
        return Encoded(x, keys, mask), self.initial_state(final, tf.shape(src)[0])

    def initial_state(self, final: list[tf.Tensor], batch: tf.Tensor) -> State:
        """Each decoder layer's state from the encoder's final state (dense bridge) or zeros, then a
        zero attentional vector for input feeding."""
        zero = tf.zeros([batch, self.units])
        per_layer = len(final)
        state = [dense(final[i % per_layer]) for i, dense in enumerate(self.bridge)] or \
                [zero] * (per_layer * len(self.cells))
        return tuple(state) + ((zero,) if self.input_feeding else ())

    # --- decoder -----------------------------------------------------------------------------------
    def decoder_step(self, x: tf.Tensor, state: State, enc: Encoded,
                     training: bool = False) -> tuple[tf.Tensor, State, tf.Tensor]:
        """One target position from its embedded input: (attentional vector, new state, weights)."""
        per_layer = 2 if self.cell_type == "lstm" else 1
        if self.input_feeding:
            x = tf.concat([x, state[-1]], -1)
        new_state: list[tf.Tensor] = []
        for i, cell in enumerate(self.cells):
            s = list(state[i * per_layer:(i + 1) * per_layer])
            out, s = cell(x, s if per_layer > 1 else s[0], training=training)
            new_state += list(s) if isinstance(s, (list, tuple)) else [s]
            x = x + out if self.residual and i > 0 else out
        if self.attention is None:
            return x, tuple(new_state), tf.zeros(tf.shape(enc.mask), x.dtype)
        context, weights = self.attention(x, enc.keys, enc.memory, enc.mask)
        vector = self.combine(tf.concat([context, x], -1))
        return vector, tuple(new_state) + ((vector,) if self.input_feeding else ()), weights

    def step(self, ids: tf.Tensor, state: State, enc: Encoded) -> tuple[tf.Tensor, State, tf.Tensor]:
        """Next-word logits after `ids` (one per sentence), the new state and the attention weights."""
        vector, state, weights = self.decoder_step(self.tgt_embedding(ids), state, enc)
        return self.output_layer(vector), state, weights

    def decode(self, tgt_in: tf.Tensor, state: State, enc: Encoded,
               training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing: the attentional vectors [batch, tgt, units] that `output_layer` turns into
        logits (left to the caller, which may skip padding), and attention weights [batch, tgt, src]."""
        x = tf.transpose(self.dropout(self.tgt_embedding(tgt_in), training=training), [1, 0, 2])
        first = (state, tf.zeros([tf.shape(tgt_in)[0], self.units]), tf.zeros(tf.shape(enc.mask)))

        def one(carry, x_t):
            vector, new_state, weights = self.decoder_step(x_t, carry[0], enc, training)
            return new_state, vector, weights

        _, vectors, weights = tf.scan(one, x, first)
        vectors = self.dropout(tf.transpose(vectors, [1, 0, 2]), training=training)
        return vectors, tf.transpose(weights, [1, 0, 2])

    def call(self, src: tf.Tensor, tgt_in: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing: logits [batch, tgt, vocab] and attention weights [batch, tgt, src]."""
        enc, state = self.encode(src, training)
        vectors, weights = self.decode(tgt_in, state, enc, training)
        return self.output_layer(vectors), weights


def set_output_prior(model: Seq2Seq, targets: Sequence[np.ndarray]) -> None:
    """Start the softmax bias at the log frequency of each target token (</s> once per sentence, a
    tenth of a count for unseen ones). With a zero bias the first updates all push toward the unigram
    distribution, and Adam drives every unit of the attentional tanh into saturation within 25 steps:
    on the Bible the gradients to encoder and decoder then vanished and the loss stayed at the unigram
    level (perplexity ~500) for good. Starting at the prior, the hidden layers are left to learn context."""
    tokens = np.concatenate([*targets, np.full(len(targets), Vocab.eos_id)])
    prior = np.bincount(tokens, minlength=model.output_layer.units) + 0.1
    model.output_layer.bias.assign(np.log(prior / prior.sum()).astype("float32"))


def build_seq2seq(cfg, src_vocab: int, tgt_vocab: int) -> Seq2Seq:
    """The model an NMTConfig describes, built (its variables exist) and ready to load."""
    model = Seq2Seq(src_vocab, tgt_vocab, cfg.cell, cfg.units, cfg.layers, cfg.embedding_dim,
                    cfg.bidirectional, cfg.dropout, cfg.residual, cfg.attention, cfg.scaled, cfg.normed,
                    cfg.input_feeding, cfg.bridge, cfg.encoder_size)
    x = np.ones((1, 2), np.int32)
    model(x, x)
    return model

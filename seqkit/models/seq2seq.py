"""Encoder-decoder glue: encoder + bridge + decoder, each chosen by name and built from the config.

`encode(src) -> (context, state)` runs once per source batch; `step(ids, state, context) -> (logits,
state, extras)` is the one decoder step every decoding strategy drives; `call(src, tgt_in)` is teacher
forcing, equal to a loop of `step` (tests/test_nmt_model.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from seqkit.data.vocab import Vocab
from seqkit.models.base import Extras, State, float32_logits
from seqkit.models.bridges import BRIDGES
from seqkit.models.decoders import Context, build_decoder
from seqkit.models.encoders import build_encoder


class Seq2Seq(keras.Model):
    """An encoder, a bridge from its final state to the decoder's initial state, and a decoder."""

    def __init__(self, cfg, src_vocab: int, tgt_vocab: int, **kwargs) -> None:
        super().__init__(**kwargs)
        shared = keras.layers.Embedding(tgt_vocab, cfg.model_dim, name="embedding") if cfg.tie_embeddings \
            else None
        self.encoder = build_encoder(cfg, src_vocab, shared)
        self.decoder = build_decoder(cfg, tgt_vocab, shared)
        self.bridge = BRIDGES[cfg.bridge](self.decoder.cell_state_sizes, name="bridge")

    @property
    def output_layer(self) -> keras.layers.Dense:
        """The softmax layer (its bias starts at the target prior)."""
        return self.decoder.output_layer

    def encode(self, src: tf.Tensor, training: bool = False) -> tuple[Context, State]:
        """The decoder's context for padded source ids, and its initial state."""
        encoded = self.encoder(src, training=training)
        batch = tf.shape(src)[0]
        cell_state = self.bridge(encoded.final_state, batch)
        return self.decoder.context(encoded), self.decoder.initial_state(cell_state, batch)

    def step(self, ids: tf.Tensor, state: State, context: Context) -> tuple[tf.Tensor, State, Extras]:
        """Next-word logits after `ids` (one per sentence), the new state and the attention weights."""
        return self.decoder.step(ids, state, context)

    def decode(self, tgt_in: tf.Tensor, state: State, context: Context,
               training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing from encode's output: attentional vectors and attention weights."""
        return self.decoder(tgt_in, state, context, training=training)

    def call(self, src: tf.Tensor, tgt_in: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Teacher forcing: logits [batch, tgt, vocab] and attention weights [batch, tgt, src]."""
        context, state = self.encode(src, training)
        vectors, weights = self.decode(tgt_in, state, context, training)
        return float32_logits(self.output_layer(vectors)), weights


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
    model = Seq2Seq(cfg, src_vocab, tgt_vocab, name="seq2seq")
    x = np.ones((1, 2), np.int32)
    model(x, x)
    return model

"""Decoders: one target step at a time over an encoder's Context, chosen by name from DECODERS."""

from __future__ import annotations

import keras

from seqkit.models.decoders.base import Context
from seqkit.models.decoders.rnn import RNNDecoder
from seqkit.models.decoders.transformer import TransformerDecoder

DECODERS: dict[str, type] = {"rnn": RNNDecoder, "transformer": TransformerDecoder}

__all__ = ["DECODERS", "Context", "RNNDecoder", "TransformerDecoder", "build_decoder"]


def build_decoder(cfg, vocab_size: int,
                  embedding: keras.layers.Embedding | None = None) -> keras.layers.Layer:
    """The decoder an NMTConfig names (with `embedding` shared when given)."""
    return DECODERS[cfg.decoder].from_config_of(cfg, vocab_size, embedding)

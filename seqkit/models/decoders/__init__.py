"""Decoders: one target step at a time over an encoder's Context, chosen by name from DECODERS."""

from __future__ import annotations

import keras

from seqkit.models.decoders.base import Context
from seqkit.models.decoders.rnn import RNNDecoder

DECODERS: dict[str, type] = {"rnn": RNNDecoder}

__all__ = ["DECODERS", "Context", "RNNDecoder", "build_decoder"]


def build_decoder(cfg, vocab_size: int) -> keras.layers.Layer:
    """The decoder an NMTConfig names."""
    return DECODERS[cfg.decoder].from_config_of(cfg, vocab_size)

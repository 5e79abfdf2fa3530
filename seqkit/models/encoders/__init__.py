"""Encoders: source ids -> Encoded, chosen by name from ENCODERS. A new encoder is one file here and
one line in ENCODERS."""

from __future__ import annotations

import keras

from seqkit.models.encoders.base import Encoded
from seqkit.models.encoders.rnn import RNNEncoder

ENCODERS: dict[str, type] = {"rnn": RNNEncoder}

__all__ = ["ENCODERS", "Encoded", "RNNEncoder", "build_encoder"]


def build_encoder(cfg, vocab_size: int) -> keras.layers.Layer:
    """The encoder an NMTConfig names."""
    return ENCODERS[cfg.encoder].from_config_of(cfg, vocab_size)

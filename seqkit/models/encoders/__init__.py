"""Encoders: source ids -> Encoded, chosen by name from ENCODERS. A new encoder is one file here and
one line in ENCODERS."""

from __future__ import annotations

import keras

from seqkit.models.encoders.base import Encoded
from seqkit.models.encoders.rnn import RNNEncoder
from seqkit.models.encoders.transformer import TransformerEncoder

ENCODERS: dict[str, type] = {"rnn": RNNEncoder, "transformer": TransformerEncoder}

__all__ = ["ENCODERS", "Encoded", "RNNEncoder", "TransformerEncoder", "build_encoder"]


def build_encoder(cfg, vocab_size: int,
                  embedding: keras.layers.Embedding | None = None) -> keras.layers.Layer:
    """The encoder an NMTConfig names (with `embedding` shared when given)."""
    return ENCODERS[cfg.encoder].from_config_of(cfg, vocab_size, embedding)

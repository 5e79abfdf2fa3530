"""Keras models. Each takes its config values and vocabulary size; nothing global."""

from __future__ import annotations

import numpy as np

from seqkit.models.base import RecurrentLM
from seqkit.models.char_lm import CharLM
from seqkit.models.transformer_lm import TransformerLM
from seqkit.models.vanilla_rnn import OutputFeedbackRNN, VanillaRNN


def build_char_model(cfg, vocab_size: int) -> RecurrentLM:
    """The character model a CharRNNConfig describes, built (its variables exist) and ready to load."""
    if cfg.cell == "rnn1":
        model: RecurrentLM = VanillaRNN(vocab_size, cfg.units, cfg.activation)
    elif cfg.cell == "rnn2":
        model = OutputFeedbackRNN(vocab_size, cfg.units)
    elif cfg.cell == "transformer":
        model = TransformerLM(vocab_size, cfg.layers, cfg.model_dim, cfg.heads, cfg.ff_dim, cfg.dropout,
                              cfg.positions, cfg.norm, cfg.seq_len)
    else:
        model = CharLM(vocab_size, cfg.cell, cfg.layers, cfg.units, cfg.embedding_dim, cfg.dropout)
    x = np.zeros((1, 2), np.int32)
    model(x, model.fresh_state(1), targets=x)
    model.step(x[:, 0], model.initial_state(1))
    return model

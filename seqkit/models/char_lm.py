"""Stacked LSTM/GRU character model with explicit state in and out."""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.models.base import RecurrentLM, State, float32_logits

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


class CharLM(RecurrentLM):
    """Embedding -> `layers` x (LSTM|GRU) with dropout between them -> logits over the alphabet."""

    def __init__(self, vocab_size: int, cell: str = "lstm", layers: int = 2, units: int = 512,
                 embedding_dim: int = 64, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cell_type, self.units = cell, units
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
        self.rnns = [CELLS[cell](units, return_sequences=True, return_state=True, name=f"{cell}_{i}")
                     for i in range(layers)]
        self.dropout = keras.layers.Dropout(dropout, seed=None)
        self.head = keras.layers.Dense(vocab_size, name="logits")

    @property
    def state_sizes(self) -> tuple[int, ...]:
        per_layer = 2 if self.cell_type == "lstm" else 1
        return (self.units,) * (per_layer * len(self.rnns))

    def _split(self, state: State) -> list[list[tf.Tensor]]:
        n = len(state) // len(self.rnns)
        return [list(state[i * n:(i + 1) * n]) for i in range(len(self.rnns))]

    def call(self, inputs, state: State, targets=None, training: bool = False):
        x = self.embedding(inputs)
        new_state: list[tf.Tensor] = []
        for rnn, s in zip(self.rnns, self._split(state)):
            x = self.dropout(x, training=training)
            x, *s = rnn(x, initial_state=s, training=training)
            new_state += s
        return float32_logits(self.head(self.dropout(x, training=training))), tuple(new_state)

    def step(self, ids, state: State, context=()):
        x = self.embedding(ids)
        new_state: list[tf.Tensor] = []
        for rnn, s in zip(self.rnns, self._split(state)):
            x, s = rnn.cell(x, s)
            new_state += list(s) if isinstance(s, (list, tuple)) else [s]
        return float32_logits(self.head(x)), tuple(new_state), {}

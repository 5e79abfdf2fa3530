"""A character LM as a SavedModel: generate(prime, length, temperature, seed) -> the prime and its
continuation, drawn as `seqkit sample` draws it (the same engine, sampler and stateless seeds)."""

from __future__ import annotations

import tensorflow as tf

from seqkit.data.alphabet import UNK, Alphabet
from seqkit.decoding import defaults
from seqkit.decoding.engine import decode
from seqkit.decoding.strategies import GreedySearch, sample
from seqkit.export.module import ExportModule
from seqkit.export.tokenizers import CharTable
from seqkit.models import RecurrentLM


class CharLMExport(ExportModule):
    """The model, its alphabet's tables and the one `generate` signature."""

    def __init__(self, model: RecurrentLM, alphabet: Alphabet) -> None:
        super().__init__(model)
        unk = alphabet.symbols.index(UNK) if alphabet.unknown == "unk" else None
        self.chars = CharTable(alphabet.symbols, unk)
        # an empty prime starts where seqkit.inference.sampler.Generator starts
        self.start = "\n" if "\n" in alphabet.symbols else alphabet.symbols[0]

    @tf.function(input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int32),
                                  tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32)])
    def generate(self, prime, length=500, temperature=defaults.TEMPERATURE, seed=0):
        """The prime followed by `length` new characters; temperature 0 is the greedy continuation."""
        tf.debugging.assert_non_negative(length, "length cannot be negative")
        tf.debugging.assert_non_negative(temperature, "temperature cannot be negative (0: greedy)")
        prefix = self.chars.encode(tf.where(tf.strings.length(prime) > 0, prime, self.start))[None]
        state = self.model.initial_state(1)
        state = tf.cond(tf.shape(prefix)[1] > 1,  # teacher-forced models see the prefix as their outputs
                        lambda: self.model(prefix[:, :-1], state, targets=prefix[:, 1:])[1], lambda: state)

        def continuation(strategy):
            found = decode(self.model.step, state, (), prefix[:, -1], tf.fill([1], length), strategy,
                           seed=seed)
            return found.ids[0, 0, :length]

        ids = tf.cond(temperature > 0, lambda: continuation(sample(temperature)),
                      lambda: continuation(GreedySearch()))
        return prime + self.chars.decode(ids)

"""Generating text with a trained character model through the one decoding engine.

The prime runs once through the windowed `call` (which leaves the state after it); then one compiled
(XLA) loop generates every new character with one `step` and no Python per character: sampling
(temperature, top-k, top-p), greedy (temperature 0) or beam search (the most likely continuation).
Randomness is stateless (seed, position), so the same seed gives the same samples.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import checkpoint_path, read_run_config
from seqkit.config import CharRNNConfig
from seqkit.data.alphabet import Alphabet
from seqkit.decoding.engine import decode
from seqkit.decoding.options import SAMPLING, DecodeOptions
from seqkit.decoding.strategies import DecodingStrategy
from seqkit.errors import ConfigError, DataError
from seqkit.inference.runs import load_weights
from seqkit.models import RecurrentLM, build_char_model

ALPHABET_FILE = "alphabet.json"


def encode_for_run(alphabet: Alphabet, text: str, what: str) -> np.ndarray:
    """Encode text with a run's alphabet, saying which text failed. Windows line ends (CRLF) read as
    newlines when the alphabet has no carriage return, so a file saved on Windows scores as the same text."""
    if "\r" not in alphabet.symbols:
        text = text.replace("\r\n", "\n")
    try:
        return alphabet.encode(text)
    except DataError as e:
        raise DataError(f"{what}: {e}") from None


def load_language_model(run_dir: str | Path,
                        which: str = "best") -> tuple[CharRNNConfig, Alphabet, RecurrentLM]:
    """Config, alphabet and model with trained weights, from the run directory alone."""
    cfg = read_run_config(run_dir, CharRNNConfig)
    alphabet = Alphabet.load(Path(run_dir) / ALPHABET_FILE)
    path = checkpoint_path(run_dir, which)  # a missing one fails before the model builds
    return cfg, alphabet, load_weights(build_char_model(cfg, len(alphabet)), cfg, path)


def sampling_options(temperature: float, top_k: int, top_p: float, beam: int, seed: int,
                     no_repeat_ngram: int = 0) -> DecodeOptions:
    """`seqkit sample`'s flags as DecodeOptions: beam > 1 searches, temperature 0 is greedy."""
    if not (math.isfinite(temperature) and temperature >= 0):  # NaN would silently search greedily
        raise ConfigError(f"temperature must be a finite number >= 0 (0 means argmax), not {temperature}")
    options = DecodeOptions(beam=beam, alpha=0.0, sample=temperature > 0 and beam == 1,
                            temperature=temperature or 1.0, top_k=top_k, top_p=top_p, seed=seed,
                            no_repeat_ngram=no_repeat_ngram)
    options.strategy()  # bad options fail before the model loads
    return options


@functools.lru_cache(maxsize=16)
def compiled_generate(model: RecurrentLM, strategy: DecodingStrategy, length: int, no_repeat_ngram: int):
    """generate(first_ids [B], state, seed) -> ids [B, length] of the best (or sampled) continuation."""

    def generate(first, state, seed):
        max_len = tf.fill([tf.shape(first)[0]], length)
        found = decode(model.step, state, (), first, max_len, strategy, no_repeat_ngram=no_repeat_ngram,
                       seed=seed)
        return found.ids[:, 0, :]

    return tf.function(generate, jit_compile=True)


def sample_ids(model: RecurrentLM, prime_ids: list[int], length: int, num_samples: int = 1,
               options: DecodeOptions = SAMPLING) -> np.ndarray:
    """`num_samples` continuations of `prime_ids` (at least one id), as an int array [S, length]."""
    if length < 0 or num_samples < 1:
        raise ConfigError(f"length must be >= 0 and num_samples >= 1, not {length} and {num_samples}")
    strategy = options.strategy()
    state = model.initial_state(num_samples)
    prefix = tf.tile(tf.constant([prime_ids], tf.int32), [num_samples, 1])
    if len(prime_ids) > 1:  # teacher-forced models see the prefix's next ids as their previous outputs
        _, state = model(prefix[:, :-1], state, targets=prefix[:, 1:])
    if length == 0:
        return np.zeros([num_samples, 0], np.int32)
    generate = compiled_generate(model, strategy, length, options.no_repeat_ngram)
    return generate(prefix[:, -1], state, tf.constant(options.seed, tf.int32)).numpy()


@dataclass
class Generator:
    """A trained character model with its alphabet: prime text in, text out."""

    cfg: CharRNNConfig
    alphabet: Alphabet
    model: RecurrentLM

    def generate(self, prime: str = "", length: int = 500, num_samples: int = 1,
                 options: DecodeOptions = SAMPLING) -> list[str]:
        """The prime followed by `length` new characters, per sample; an empty prime starts at a newline
        (or the first symbol when the alphabet has none)."""
        start = prime or ("\n" if "\n" in self.alphabet.symbols else self.alphabet.symbols[0])
        prime_ids = [int(i) for i in encode_for_run(self.alphabet, start, "--prime")]
        ids = sample_ids(self.model, prime_ids, length, num_samples, options)
        return [prime + self.alphabet.decode(row) for row in ids]


def load_generator(run_dir: str | Path, which: str = "best") -> Generator:
    """The Generator of a character-model run."""
    return Generator(*load_language_model(run_dir, which))

"""How the next id is picked from a row's scores: the argmax, or a draw after temperature / top-k / top-p.

Draws are Gumbel-max over stateless random *bits*: integer bits are the same in XLA and plain TF
(the float outputs of tf.random.stateless_categorical / stateless_uniform are not), so a compiled
sampler gives the same ids as an eager one for the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf

from seqkit.decoding import defaults
from seqkit.errors import ConfigError


def filter_logits(logits: tf.Tensor, temperature: float, top_k: int, top_p: float) -> tf.Tensor:
    """Scale by 1/temperature, then keep the k most likely and the smallest set with mass >= top_p."""
    logits = logits / temperature
    if top_k > 0:
        kth = tf.math.top_k(logits, k=min(top_k, logits.shape[-1])).values[:, -1:]
        logits = tf.where(logits < kth, -float("inf"), logits)
    if top_p < 1.0:
        sorted_logits = tf.sort(logits, direction="DESCENDING")
        cumulative = tf.cumsum(tf.nn.softmax(sorted_logits), axis=-1, exclusive=True)
        # the smallest logit still inside the nucleus: everything before the mass reached top_p
        cutoff = tf.reduce_min(tf.where(cumulative < top_p, sorted_logits, float("inf")), -1, keepdims=True)
        logits = tf.where(logits < cutoff, -float("inf"), logits)
    return logits


class Sampler:
    """Picks one id per row: `sampler(logp [rows, V] float32, seed [2] int32) -> ids [rows] int32`."""

    def __call__(self, logp: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class Argmax(Sampler):
    """The most likely id (greedy search); the seed is unused."""

    def __call__(self, logp: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        return tf.argmax(logp, -1, output_type=tf.int32)


@dataclass(frozen=True)
class Random(Sampler):
    """A draw from softmax(logp / temperature) cut to the top_k ids (0: all) and the top_p mass (1: all)."""

    temperature: float = defaults.TEMPERATURE
    top_k: int = defaults.TOP_K
    top_p: float = defaults.TOP_P

    def __post_init__(self) -> None:
        # a Python number (else a graph input), finite and positive: NaN would give NaN logits
        if isinstance(self.temperature, (int, float)) and not (math.isfinite(self.temperature)
                                                               and self.temperature > 0):
            raise ConfigError(f"temperature must be a finite number > 0 (use Argmax for greedy), not "
                              f"{self.temperature}")
        if self.top_k < 0:
            raise ConfigError(f"top_k must be >= 0 (0: off), not {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1] (1: off), not {self.top_p}")

    def __call__(self, logp: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        logits = filter_logits(logp, self.temperature, self.top_k, self.top_p)
        bits = tf.random.stateless_uniform(tf.shape(logits), seed, minval=None, maxval=None, dtype=tf.uint32)
        top24 = tf.bitwise.right_shift(bits, tf.constant(8, tf.uint32))
        uniform = (tf.cast(top24, tf.float32) + 0.5) * 2.0**-24  # in (0, 1), never 0 or 1
        return tf.argmax(logits - tf.math.log(-tf.math.log(uniform)), -1, output_type=tf.int32)

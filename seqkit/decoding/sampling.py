"""Batched temperature / top-k / top-p sampling, one model step per new id, the loop compiled whole.

The prefix runs once through the windowed `call` (which leaves the state after it), then a single
tf.function holds the whole generation loop, so each new character costs one `step` and no Python.
Randomness is stateless (seed, position), so the same seed gives the same samples.
"""

from __future__ import annotations

import functools

import tensorflow as tf

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


def check_options(length: int, temperature: float, top_k: int, top_p: float, num_samples: int) -> None:
    """Reject sampling options that make no sense, with the reason."""
    if length < 0 or num_samples < 1:
        raise ConfigError("length must be >= 0 and num_samples >= 1")
    if temperature < 0:
        raise ConfigError(f"temperature must be >= 0 (0 means argmax), not {temperature}")
    if top_k < 0 or not 0 < top_p <= 1:
        raise ConfigError("top_k must be >= 0 (0: off) and top_p in (0, 1] (1: off)")


@functools.lru_cache(maxsize=16)
def make_generator(model, length: int, temperature: float, top_k: int, top_p: float):
    """Compile `generate(first_ids [B], state, seed) -> ids [B, length]` for these options (cached)."""

    def generate(first, state, seed):
        ids = tf.TensorArray(tf.int32, size=length)
        x = first
        for i in tf.range(length):
            logits, state = model.step(x, state)
            if temperature == 0:
                x = tf.argmax(logits, axis=-1, output_type=tf.int32)
            else:
                logits = filter_logits(logits, temperature, top_k, top_p)
                x = tf.random.stateless_categorical(logits, 1, seed=tf.stack([seed, i]), dtype=tf.int32)[:, 0]
            ids = ids.write(i, x)
        return tf.transpose(ids.stack())

    return tf.function(generate, jit_compile=True)


def sample_ids(model, prime_ids: list[int], length: int, num_samples: int = 1, temperature: float = 1.0,
               top_k: int = 0, top_p: float = 1.0, seed: int = 0):
    """`num_samples` continuations of `prime_ids` (at least one id), as an int array [S, length]."""
    check_options(length, temperature, top_k, top_p, num_samples)
    state = model.initial_state(num_samples)
    prefix = tf.tile(tf.constant([prime_ids], tf.int32), [num_samples, 1])
    if len(prime_ids) > 1:  # teacher-forced models see the prefix's next ids as their previous outputs
        _, state = model(prefix[:, :-1], state, targets=prefix[:, 1:])
    if length == 0:
        return tf.zeros([num_samples, 0], tf.int32).numpy()
    generate = make_generator(model, length, temperature, top_k, top_p)
    return generate(prefix[:, -1], state, tf.constant(seed, tf.int32)).numpy()

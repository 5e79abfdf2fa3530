"""The reference model of bench_charlm.py: the TensorFlow "Text generation with an RNN" tutorial, as it
is written there (tensorflow.org/text/tutorials/text_generation): Embedding(V, 256), one GRU(1024),
Dense(V); non-overlapping windows of 100 characters (101 with the target), shuffled (buffer 10,000),
batches of 64; Adam 1e-3; `model.fit`; every window read from a zero state. Only the stop differs: a
callback ends `fit` after the same seconds seqkit's model trained.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

EMBEDDING, UNITS, WINDOW, BATCH, BUFFER = 256, 1024, 100, 64, 10000


class TutorialGRU(keras.Model):
    """The tutorial's model, with the state in and out so it can also be scored stateful."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, EMBEDDING)
        self.gru = keras.layers.GRU(UNITS, return_sequences=True, return_state=True)
        self.dense = keras.layers.Dense(vocab_size)

    def call(self, inputs, state=None, return_state=False, training=False):
        x, state = self.gru(self.embedding(inputs), initial_state=state, training=training)
        return (self.dense(x), state) if return_state else self.dense(x)

    def initial_state(self, batch: int) -> tf.Tensor:
        """Zeros: how the tutorial starts every window (and seqkit's lm_nats starts its streams)."""
        return tf.zeros([batch, UNITS])

    fresh_state = initial_state

    def scorer(self):
        """The compiled forward seqkit.metrics.perplexity.lm_nats calls: (ids, state, targets) -> (logits,
        state)."""
        return tf.function(lambda x, state, y: self(x, state, return_state=True), reduce_retracing=True)


class TimeBudget(keras.callbacks.Callback):
    """Stop `fit` at the first batch boundary after `seconds` (counted from the first batch)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.start, self.steps = seconds, None, 0

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self.start = self.start or time.perf_counter()

    def on_train_batch_end(self, batch, logs=None) -> None:
        self.steps += 1
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True


def windows(ids: np.ndarray, seed: int) -> tf.data.Dataset:
    """The tutorial's input pipeline: (input, target) windows, shuffled, batched, repeated."""
    chunks = tf.data.Dataset.from_tensor_slices(ids.astype(np.int32)).batch(WINDOW + 1, drop_remainder=True)
    pairs = chunks.map(lambda c: (c[:-1], c[1:]))
    return pairs.shuffle(BUFFER, seed=seed).batch(BATCH, drop_remainder=True).repeat().prefetch(2)


def train_tutorial(train_ids: np.ndarray, vocab_size: int, seconds: float, seed: int = 0
                   ) -> tuple[TutorialGRU, dict]:
    """The tutorial's model trained for `seconds`; (model, {steps, seconds, chars_per_s})."""
    keras.utils.set_random_seed(seed)
    model = TutorialGRU(vocab_size)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    budget = TimeBudget(seconds)
    steps_per_epoch = len(train_ids) // ((WINDOW + 1) * BATCH)
    model.fit(windows(train_ids, seed), epochs=10**6, steps_per_epoch=steps_per_epoch, callbacks=[budget],
              shuffle=False, verbose=0)
    elapsed = time.perf_counter() - budget.start
    return model, {"steps": budget.steps, "seconds": round(elapsed),
                   "chars_per_s": round(budget.steps * BATCH * WINDOW / elapsed)}

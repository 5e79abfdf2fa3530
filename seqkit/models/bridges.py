"""Bridges: how the encoder's final state becomes the decoder's initial state, chosen from BRIDGES.

- `zero`:  the decoder starts from zeros (the encoder reaches it through attention only);
- `copy`:  the encoder's final state as it is (sizes must agree);
- `dense`: tanh(W s + b), one layer per decoder state tensor, from any encoder size.
An encoder with no final state (a Transformer) works with `zero` only.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from seqkit.errors import ConfigError


class Bridge(keras.layers.Layer):
    """final_state (a tuple of [batch, size]) -> a tuple of [batch, size_i] for `sizes`."""

    def __init__(self, sizes: tuple[int, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.sizes = tuple(sizes)

    def call(self, final_state: tuple, batch: tf.Tensor) -> tuple:
        raise NotImplementedError


class ZeroBridge(Bridge):
    """Zeros of the decoder's sizes."""

    def call(self, final_state: tuple, batch: tf.Tensor) -> tuple:
        return tuple(tf.zeros([batch, size], self.compute_dtype) for size in self.sizes)


def _source(final_state: tuple, i: int) -> tf.Tensor:
    """The encoder state feeding decoder state i: the encoder's top layer repeats over deeper decoders."""
    if not final_state:
        raise ConfigError("this encoder has no final state to bridge from; use --bridge zero")
    return final_state[i % len(final_state)]


class CopyBridge(Bridge):
    """The encoder's final state, unchanged."""

    def call(self, final_state: tuple, batch: tf.Tensor) -> tuple:
        state = tuple(_source(final_state, i) for i in range(len(self.sizes)))
        for s, size in zip(state, self.sizes):
            if s.shape[-1] != size:
                raise ConfigError(f"--bridge copy needs the encoder's state size ({s.shape[-1]}) to equal "
                                  f"the decoder's ({size}); use --bridge dense")
        return state


class DenseBridge(Bridge):
    """tanh(W s + b) per decoder state tensor."""

    def __init__(self, sizes: tuple[int, ...], **kwargs) -> None:
        super().__init__(sizes, **kwargs)
        self.layers = [keras.layers.Dense(size, activation="tanh", name=f"dense_{i}")
                       for i, size in enumerate(self.sizes)]

    def call(self, final_state: tuple, batch: tf.Tensor) -> tuple:
        return tuple(dense(_source(final_state, i)) for i, dense in enumerate(self.layers))


BRIDGES: dict[str, type[Bridge]] = {"zero": ZeroBridge, "copy": CopyBridge, "dense": DenseBridge}

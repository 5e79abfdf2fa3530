"""Which hypotheses live on after each step; the engine (decoding.engine.decode) does the rest.

Strategies are frozen dataclasses, so equal options give equal, hashable strategies: callers cache
compiled decoders on them.
"""

from __future__ import annotations

import abc
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import tensorflow as tf

from seqkit.decoding import defaults
from seqkit.decoding.samplers import Argmax, Random, Sampler
from seqkit.decoding.top_k import top_k
from seqkit.errors import ConfigError

STOPS = defaults.STOPS


def numbers(*values) -> bool:
    """Whether all values are Python numbers: a SavedModel passes alpha (or a sampler its temperature)
    as a scalar tensor, which its graph checks instead."""
    return all(isinstance(v, (int, float)) for v in values)


class DecodingStrategy(abc.ABC):
    """`width` hypotheses per sentence, `nbest` outputs, GNMT `alpha`/`beta` scoring, a `stop` rule."""

    width: int
    nbest: int
    alpha: float
    beta: float
    stop: str

    @abc.abstractmethod
    def select(self, alive: tf.Tensor, logp: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """From logp sums `alive` [batch, width] and next-id `logp` [batch, width, V]: the extensions
        that live on, as (logp sums, indices into width * V), both [batch, width]."""


@dataclass(frozen=True)
class GreedySearch(DecodingStrategy):
    """One hypothesis per sentence, extended by the sampler's pick: argmax search, or sampling."""

    sampler: Sampler = Argmax()
    width: ClassVar[int] = 1
    nbest: ClassVar[int] = 1
    alpha: ClassVar[float] = 0.0
    beta: ClassVar[float] = 0.0
    stop: ClassVar[str] = "early"

    def __post_init__(self) -> None:
        if not isinstance(self.sampler, Sampler):
            raise ConfigError(f"GreedySearch needs a Sampler (Argmax() or Random(...)), not {self.sampler!r}")

    def select(self, alive: tf.Tensor, logp: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        ids = self.sampler(logp[:, 0], seed)[:, None]
        return alive + tf.gather(logp[:, 0], ids, batch_dims=1), ids


@dataclass(frozen=True)
class BeamSearch(DecodingStrategy):
    """The `width` best extensions by logp sum live on; finished ones are scored as GNMT does."""

    width: int = defaults.BEAM
    alpha: float = defaults.ALPHA
    beta: float = 0.0
    nbest: int = 1
    stop: str = "early"

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ConfigError(f"beam width must be >= 1, not {self.width}")
        if not 1 <= self.nbest <= self.width:
            raise ConfigError(f"nbest must be in [1, beam width {self.width}], not {self.nbest}")
        # NaN fails too: a NaN length penalty scores every hypothesis NaN, and search returns nothing
        penalties = (self.alpha, self.beta)
        if numbers(*penalties) and not all(math.isfinite(v) and v >= 0 for v in penalties):
            raise ConfigError(f"alpha and beta must be finite numbers >= 0, not alpha={self.alpha} "
                              f"beta={self.beta}")
        if self.stop not in STOPS:
            raise ConfigError(f"stop must be one of {', '.join(STOPS)}, not {self.stop!r}")

    def select(self, alive: tf.Tensor, logp: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        vocab = logp.shape[-1] or tf.shape(logp)[-1]
        total = tf.reshape(alive[:, :, None] + logp, [-1, self.width * vocab])
        return top_k(total, self.width)


def sample(temperature: float = defaults.TEMPERATURE, top_k: int = defaults.TOP_K,
           top_p: float = defaults.TOP_P) -> GreedySearch:
    """Sampling: greedy search whose sampler draws."""
    return GreedySearch(Random(temperature, top_k, top_p))


STRATEGIES: dict[str, Callable[..., DecodingStrategy]] = {"greedy": GreedySearch, "beam": BeamSearch,
                                                          "sample": sample}


def make_strategy(name: str, **options) -> DecodingStrategy:
    """The strategy called `name` with these options, or a ConfigError saying what is possible."""
    if name not in STRATEGIES:
        raise ConfigError(f"unknown decoding strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    accepted = inspect.signature(STRATEGIES[name]).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"decoding strategy {name!r} has no option {', '.join(unknown)} "
                          f"(it takes: {', '.join(accepted) or 'none'})")
    return STRATEGIES[name](**options)

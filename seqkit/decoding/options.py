"""How to decode, as one value: the place where every decoding default lives.

The command line's decoding flags, the Python API's keywords and the dev decoding during training are
all DecodeOptions fields, so a default (beam 5, alpha 0.6, ...) is written once, in defaults.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqkit.config import opt
from seqkit.decoding import defaults
from seqkit.errors import ConfigError

if TYPE_CHECKING:
    from seqkit.decoding.strategies import DecodingStrategy


@dataclass(frozen=True)
class DecodeOptions:
    """Strategy, scoring and length options of one decoding run."""

    beam: int = opt(defaults.BEAM, "beam width (1: greedy search)")
    alpha: float = opt(defaults.ALPHA, "GNMT length penalty exponent (0: none)")
    coverage: float = opt(0.0, "GNMT coverage penalty weight beta (0: none)")
    nbest: int = opt(1, "hypotheses kept per input (at most --beam)")
    stop: str = opt("early", "beam stopping: early, once the best finished hypothesis beats the best live "
                    "one at the current length (OpenNMT's and fairseq's rule); exact, once no live one can "
                    "still beat it at any length", defaults.STOPS)
    sample: bool = opt(False, "draw each word from the model's distribution instead of searching")
    temperature: float = opt(defaults.TEMPERATURE, "with --sample: softmax temperature")
    top_k: int = opt(defaults.TOP_K, "with --sample: draw among the k most likely words (0: all)")
    top_p: float = opt(defaults.TOP_P, "with --sample: nucleus mass (1: off)")
    seed: int = opt(0, "with --sample: same seed, same outputs")
    min_len: int = opt(0, "shortest output, in tokens")
    no_repeat_ngram: int = opt(0, "never repeat an N-gram within one output (0: off)")

    def strategy(self) -> DecodingStrategy:
        """The strategy object these options name (validated by its constructor)."""
        from seqkit.decoding.strategies import make_strategy  # TensorFlow: not while building the CLI

        if self.min_len < 0 or self.no_repeat_ngram < 0:
            raise ConfigError(f"min_len and no_repeat_ngram cannot be negative, not {self.min_len} and "
                              f"{self.no_repeat_ngram}")
        if self.sample:
            if self.nbest != 1:
                raise ConfigError("sampling gives one output per input; drop --nbest or draw again with "
                                  "another --seed")
            return make_strategy("sample", temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)
        if self.beam == 1 and not self.coverage and self.nbest == 1:
            return make_strategy("greedy")
        return make_strategy("beam", width=self.beam, alpha=self.alpha, beta=self.coverage, nbest=self.nbest,
                             stop=self.stop)


SEARCH = DecodeOptions()  # translation's defaults: beam 5, alpha 0.6
SAMPLING = DecodeOptions(sample=True)  # generation's defaults: temperature 1

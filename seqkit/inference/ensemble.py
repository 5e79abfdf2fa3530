"""Several seq2seq models as one: the same step protocol, the mean of their log-probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from seqkit.models.base import Extras, State
from seqkit.models.seq2seq import Seq2Seq


class Ensemble:
    """One context and state per model; decoding cannot tell it from a single model."""

    def __init__(self, models: Sequence[Seq2Seq]) -> None:
        self.models = list(models)

    def encode(self, src: tf.Tensor) -> tuple[tuple, tuple]:
        """Each model's (context, state) for the source batch."""
        contexts, states = zip(*(m.encode(src) for m in self.models))
        return tuple(contexts), tuple(states)

    def step(self, ids: tf.Tensor, state: State, context: tuple) -> tuple[tf.Tensor, State, Extras]:
        """Mean log-probabilities; the attention extras are averaged too (for coverage and alignments).
        One model's logits pass as they are: the engine normalizes what a step returns, and a second
        log_softmax over [rows, vocabulary] cost about 4% of a beam-5 step over 8,000 subwords."""
        outs = [m.step(ids, s, c) for m, s, c in zip(self.models, state, context)]
        logp = (outs[0][0] if len(outs) == 1 else
                tf.add_n([tf.nn.log_softmax(logits) for logits, _, _ in outs]) / len(outs))
        extras = {k: tf.add_n([o[2][k] for o in outs]) / len(outs) for k in outs[0][2]}
        return logp, tuple(s for _, s, _ in outs), extras

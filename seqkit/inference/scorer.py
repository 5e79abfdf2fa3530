"""Scoring given translations (OpenNMT's `score`): the log-probability a model, or an ensemble, gives each
target sentence under teacher forcing, </s> included, and the corpus perplexity.

This is the number search ranks hypotheses by (greedy search's score is exactly it), so it tells how
much the model prefers one translation to another, and test-set perplexity comes from it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from seqkit.config import check_count
from seqkit.data.labeled import pad_batch
from seqkit.data.parallel import target_io
from seqkit.data.vocab import Vocab
from seqkit.errors import DataError
from seqkit.inference.ensemble import Ensemble
from seqkit.inference.translator import Translator


@dataclass
class Scores:
    """Per sentence: the summed natural-log probability of its target tokens and how many they are (</s>
    counted)."""

    logp: np.ndarray
    tokens: np.ndarray

    @property
    def ppl(self) -> float:
        """Corpus perplexity: exp(-sum logp / sum tokens)."""
        return math.exp(-float(self.logp.sum()) / int(self.tokens.sum()))

    def summary(self) -> dict:
        """{'sentences', 'tokens', 'logp', 'ppl'} of the corpus."""
        return {"sentences": len(self.logp), "tokens": int(self.tokens.sum()), "logp": float(self.logp.sum()),
                "ppl": self.ppl}


@functools.lru_cache(maxsize=8)
def compiled_scorer(ensemble: Ensemble):
    """logp(src, tgt_in, tgt_out) -> [batch] summed log-probabilities of the non-pad targets, compiled once
    for any shape; an ensemble's log-probabilities are the mean of its models', as in its decoding step."""

    def logp(src, tgt_in, tgt_out):
        models = ensemble.models
        mean = tf.add_n([tf.nn.log_softmax(m(src, tgt_in)[0]) for m in models]) / len(models)
        picked = tf.gather(mean, tgt_out, batch_dims=2)
        return tf.reduce_sum(tf.where(tf.not_equal(tgt_out, Vocab.pad_id), picked, 0.0), -1)

    return tf.function(logp, input_signature=(tf.TensorSpec([None, None], tf.int32),) * 3)


def check_pairs(src: Sequence[str], tgt: Sequence[str], names: tuple[str, str]) -> None:
    """Every source line has its target on the same line, and neither is blank: each output line scores
    one pair, so a skipped pair would shift all that follow."""
    if not src:
        raise DataError(f"{names[0]}: nothing to score")
    if len(src) != len(tgt):
        raise DataError(f"{names[0]} has {len(src)} lines but {names[1]} has {len(tgt)}; they must be "
                        "line-aligned")
    for name, lines in zip(names, (src, tgt)):
        blank = next((n for n, line in enumerate(lines, 1) if not line.strip()), None)
        if blank:
            raise DataError(f"{name} line {blank} is blank; every line needs a sentence to score")


def score_lines(translator: Translator, src: Sequence[str], tgt: Sequence[str], batch_size: int | None = None,
                names: tuple[str, str] = ("source", "target")) -> Scores:
    """The Scores of each target line as the translation of its source line; pairs of similar target
    length share a batch (padding changes no score). `names` name the two sides in error messages."""
    check_pairs(src, tgt, names)
    check_count("--batch-size", batch_size)
    src_ids = [translator.src.encode(line) for line in src]
    tgt_ids = [translator.tgt.encode(line) for line in tgt]
    forward, batch_size = compiled_scorer(translator.ensemble), batch_size or translator.cfg.eval_batch_size
    logp = np.zeros(len(src), np.float64)
    order = np.argsort([len(t) for t in tgt_ids], kind="stable")
    for b in range(0, len(order), batch_size):
        chunk = order[b:b + batch_size]
        tgt_in, tgt_out = target_io([tgt_ids[i] for i in chunk])
        logp[chunk] = forward(pad_batch([src_ids[i] for i in chunk]), tgt_in, tgt_out).numpy()
    return Scores(logp, np.array([len(t) + 1 for t in tgt_ids]))

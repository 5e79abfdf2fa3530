"""A test set's numbers for an NMT run in one pass: the perplexity of the references (teacher-forced,
seqkit.inference.scorer) and the corpus BLEU and chrF of the model's own translations (sacrebleu)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqkit.data.text import read_text, split_lines
from seqkit.decoding.options import SEARCH, DecodeOptions
from seqkit.errors import ConfigError
from seqkit.inference.scorer import check_pairs, score_lines
from seqkit.inference.translator import Translator
from seqkit.metrics.bleu import corpus_scores


@dataclass
class EvalSet:
    """A test set's line-aligned source and reference lines, and the files they came from."""

    src: list[str]
    ref: list[str]
    names: tuple[str, str]


def read_eval_set(src: str | Path, ref: str | Path) -> EvalSet:
    """The lines of line-aligned source and reference files, checked (aligned, none blank), so that a bad
    test set fails before any model loads."""
    test = EvalSet(split_lines(read_text(src)), split_lines(read_text(ref)), (str(src), str(ref)))
    check_pairs(test.src, test.ref, test.names)
    return test


def evaluate_translator(translator: Translator, test: EvalSet, options: DecodeOptions = SEARCH,
                        **limits) -> dict:
    """{'sentences', 'tokens', 'logp', 'ppl'} of the references, {'bleu', 'chrf', signatures} of the
    translations and the 'translations' themselves; `limits` are Translator.translate's (max_source,
    max_ratio, ..., batch_size)."""
    if options.nbest != 1:
        raise ConfigError("evaluation scores one translation per line; drop --nbest")
    scores = score_lines(translator, test.src, test.ref, limits.get("batch_size"), test.names)
    hyps = translator.translate(test.src, options, **limits)
    return scores.summary() | corpus_scores(hyps, [test.ref]) | {"translations": hyps}

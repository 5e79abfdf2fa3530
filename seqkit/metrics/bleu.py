"""Corpus BLEU and chrF on detokenized text, computed by sacrebleu so that scores are comparable."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seqkit.data.text import read_text, split_lines
from seqkit.errors import DataError


def corpus_scores(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> dict:
    """{'bleu', 'chrf', 'bleu_signature', 'chrf_signature'} of hypotheses against one or more reference
    streams (each as long as `hyps`)."""
    import sacrebleu

    for i, ref in enumerate(refs, 1):
        if len(ref) != len(hyps):
            raise DataError(f"reference {i} has {len(ref)} lines but the hypotheses have {len(hyps)}; "
                            "they must be line-aligned")
    bleu, chrf = sacrebleu.BLEU(), sacrebleu.CHRF()
    return {"bleu": bleu.corpus_score(list(hyps), [list(r) for r in refs]).score,
            "chrf": chrf.corpus_score(list(hyps), [list(r) for r in refs]).score,
            "bleu_signature": str(bleu.get_signature()), "chrf_signature": str(chrf.get_signature())}


def score_files(hyp: str | Path, refs: Sequence[str | Path]) -> dict:
    """corpus_scores of a hypothesis file against reference files, one sentence a line."""
    if not refs:
        raise DataError("give at least one reference: --ref FILE")
    return corpus_scores(split_lines(read_text(hyp)), [split_lines(read_text(r)) for r in refs])

"""Evaluation metrics: perplexity and bits per character, Word Mover's Distance (BLEU comes with NMT).

Only `wmd` is imported here, and it imports numpy alone until first used: WMD users never load TensorFlow.
"""

from seqkit.metrics.wmd import wmd

__all__ = ["wmd"]

"""Evaluation metrics: perplexity and bits per character (BLEU and WMD come with their models)."""

"""Inference only: sampling and search over a model's `step` function."""

"""Keras models. Each takes its config values and vocabulary size; nothing global."""

"""Decoding: one engine (engine.py) drives every model's `step`; strategies, samplers and options beside it."""

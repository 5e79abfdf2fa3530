"""Decoding: one engine (engine.py) drives every model's `step`; strategies, samplers, options beside it."""

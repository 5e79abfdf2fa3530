"""seqkit: text and sequence modeling on TensorFlow 2."""

__version__ = "0.1.0"

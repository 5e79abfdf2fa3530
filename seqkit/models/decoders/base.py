"""What every decoder reads of the encoder at each step."""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf


class Context(NamedTuple):
    """The encoder output as a decoder step reads it: states, their attention keys and the mask."""

    memory: tf.Tensor  # [batch, src, units]
    keys: tf.Tensor  # [batch, src, attention units]: the source side of the scores, once per sentence
    mask: tf.Tensor  # [batch, src] bool, False on padding

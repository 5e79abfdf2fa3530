"""What every encoder returns."""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf


class Encoded(NamedTuple):
    """What an encoder gives the decoder: its states, the padding mask and its final state."""

    memory: tf.Tensor  # [batch, src, units]
    mask: tf.Tensor  # [batch, src] bool, False on padding
    final_state: tuple  # per layer and part (h, c), [batch, units] each; () when there is none

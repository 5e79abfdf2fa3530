"""The base of the export modules: it saves a Keras model's weights, not the model object."""

from __future__ import annotations

import keras
import tensorflow as tf


class ExportModule(tf.Module):
    """Keras 3 traces a `call(inputs)` signature for every model it finds in a SavedModel, which
    seqkit's models (that also take a state or a target) do not have; so the model is kept out of the
    tracked attributes and only its weights are tracked, which the exported functions read."""

    def __init__(self, model: keras.Model) -> None:
        super().__init__()
        object.__setattr__(self, "model", model)  # untracked (see above)
        self.weights = list(model.weights)

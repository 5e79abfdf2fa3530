"""Kim (2014) convolutional sentence classifier: word embeddings, parallel 1D convolutions of several
widths with ReLU, max over time, concatenation, dropout, and a softmax layer (logits out).

Kim's multichannel mode keeps two copies of the word vectors, one frozen and one fine-tuned; every
filter sees both and adds its responses, which is one convolution over the two stacked side by side.

Padding (id 0) is masked: its embeddings are zeroed and positions past a text's end are left out of
the max, so a text gets the same scores whatever length its batch is padded to.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from seqkit.models.base import float32_logits

KIM_INIT = 0.25  # Kim's random word vectors: U[-0.25, 0.25]


class CNNClassifier(keras.Model):
    """ids [batch, time] -> class logits [batch, classes]."""

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int, widths: Sequence[int],
                 maps: int, dropout: float, train_embeddings: bool = True, max_norm: float = 0.0,
                 l2: float = 0.0, static_channel: bool = False) -> None:
        super().__init__()
        init = keras.initializers.RandomUniform(-KIM_INIT, KIM_INIT)
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, trainable=train_embeddings,
                                                name="embedding", embeddings_initializer=init)
        self.static_embedding = (keras.layers.Embedding(vocab_size, embedding_dim, trainable=False,
                                                        name="static_embedding", embeddings_initializer=init)
                                 if static_channel else None)
        self.convs = [keras.layers.Conv1D(maps, w, padding="same", activation="relu", name=f"conv_{w}")
                      for w in widths]
        self.dropout = keras.layers.Dropout(dropout)
        self.out = keras.layers.Dense(
            num_classes, name="softmax",
            kernel_constraint=keras.constraints.MaxNorm(max_norm, axis=0) if max_norm else None,
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)

    def features(self, ids: tf.Tensor) -> tf.Tensor:
        """The concatenated max-over-time features, before dropout."""
        mask = tf.cast(tf.not_equal(ids, 0), self.compute_dtype)[:, :, None]
        x = self.embedding(ids)
        if self.static_embedding is not None:
            x = tf.concat([self.static_embedding(ids), x], axis=-1)
        x *= mask
        # ReLU outputs are >= 0, so zeroing positions past the end removes them from the max.
        return tf.concat([tf.reduce_max(conv(x) * mask, axis=1) for conv in self.convs], axis=-1)

    def call(self, ids: tf.Tensor, training: bool = False) -> tf.Tensor:
        return float32_logits(self.out(self.dropout(self.features(ids), training=training)))


def build_classifier(cfg, vocab_size: int, num_classes: int,
                     embeddings: np.ndarray | None = None) -> CNNClassifier:
    """The classifier a CNNSentimentConfig describes, built, with `embeddings` as its initial vectors
    (of both channels in multichannel mode)."""
    model = CNNClassifier(vocab_size, num_classes, cfg.embedding_dim, cfg.width_list, cfg.maps, cfg.dropout,
                          cfg.embedding_mode != "static", cfg.max_norm, cfg.l2,
                          static_channel=cfg.embedding_mode == "multichannel")
    model(np.ones((1, 2), np.int32))
    if embeddings is not None:
        model.embedding.embeddings.assign(embeddings)
        if model.static_embedding is not None:
            model.static_embedding.embeddings.assign(embeddings)
    return model

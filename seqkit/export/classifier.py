"""A classifier as a SavedModel: classify(texts) -> (labels, probabilities), tokenized in the graph as
the run's training tokenized (its scheme, case and max_len)."""

from __future__ import annotations

import tensorflow as tf

from seqkit.config import CNNSentimentConfig
from seqkit.data.vocab import Vocab
from seqkit.export.module import ExportModule
from seqkit.export.tokenizers import WordTable, tokenize
from seqkit.models.cnn_classifier import CNNClassifier


class ClassifierExport(ExportModule):
    """The model, its vocabulary and classes, and the one `classify` signature."""

    def __init__(self, model: CNNClassifier, cfg: CNNSentimentConfig, vocab: Vocab,
                 classes: list[str]) -> None:
        super().__init__(model)
        tokenize(tf.constant([""]), cfg.tokenizer, cfg.lowercase)  # a scheme with no graph form fails now
        self.scheme, self.lowercase, self.max_len = cfg.tokenizer, cfg.lowercase, cfg.max_len
        self.words = WordTable(vocab.tokens)
        self.classes = tf.constant(classes)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def classify(self, texts):
        """(labels [n], probabilities [n, classes]); an empty text is an error, as in `seqkit classify`."""
        tf.debugging.Assert(tf.reduce_all(tf.strings.length(tf.strings.strip(texts)) > 0),
                            ["a text is empty"])
        ids = self.words.encode(tokenize(texts, self.scheme, self.lowercase))[:, :self.max_len]
        ids = ids.to_tensor()
        ids = tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])  # pad_batch's min_len 1
        probs = tf.nn.softmax(self.model(ids, training=False))
        return {"labels": tf.gather(self.classes, tf.argmax(probs, -1)), "probabilities": probs}

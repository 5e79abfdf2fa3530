"""Text classification as a trainer task; classifying and evaluating a run: seqkit.inference.classifier."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import asset_source, prepare_run_dir
from seqkit.config import CNNSentimentConfig
from seqkit.data.labeled import (
    EpochBatches,
    encode_tokens,
    label_ids,
    pad_batch,
    tokenize_texts,
    train_valid_data,
)
from seqkit.data.vocab import SPECIALS, Vocab
from seqkit.embeddings.vectors import load_vectors
from seqkit.embeddings.word2vec import Word2VecOptions, word2vec_from_tokens
from seqkit.errors import ConfigError
from seqkit.fileio import atomic_write_text
from seqkit.inference.classifier import (
    CLASSES_FILE,
    VOCAB_FILE,
    compiled_probabilities,
    encode_texts,
    predict,
    read_run_assets,
)
from seqkit.metrics.classification import GOALS, validation_scores
from seqkit.models.cnn_classifier import CNNClassifier, build_classifier
from seqkit.training.trainer import set_seed, train_in_run


def class_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """scikit-learn's 'balanced' weights: examples / (classes x examples of the class)."""
    counts = np.bincount(labels, minlength=num_classes)
    return (len(labels) / (num_classes * np.maximum(counts, 1))).astype(np.float32)


def pretrained_embeddings(vocab: Vocab, vectors, tokens: Sequence[Sequence[str]],
                          seed: int) -> tuple[np.ndarray, dict[str, float]]:
    """An embedding matrix from KeyedVectors (exact word, else lowercased); words they lack get random
    vectors of the same scale, <pad> zeros. Also the share of vocabulary words and training tokens found."""
    table = vectors.key_to_index
    scale = float(np.sqrt(3) * vectors.vectors.std())  # U[-a, a] has the pretrained vectors' variance
    matrix = np.random.default_rng(seed).uniform(-scale, scale, (len(vocab), vectors.vector_size))
    matrix[Vocab.pad_id] = 0
    found = np.zeros(len(vocab), bool)
    for i, word in enumerate(vocab.tokens[len(SPECIALS):], len(SPECIALS)):
        key = word if word in table else word.lower()
        if key in table:
            matrix[i], found[i] = vectors.vectors[table[key]], True
    ids = np.concatenate([vocab.encode(t) for t in tokens] or [np.zeros(0, np.int32)])
    coverage = {"vectors_words": float(found[len(SPECIALS):].mean()) if len(vocab) > len(SPECIALS) else 0.0,
                "vectors_tokens": float(found[ids].mean()) if len(ids) else 0.0}
    return matrix.astype(np.float32), coverage


class ClassifierTask:
    """Shuffled padded batches of (ids, class); mean cross-entropy per example (class-weighted on request);
    validation accuracy, macro-F1 and loss."""

    unit = "examples"
    xla = False  # batches are padded to their longest text: XLA would compile one program for each
    goals = GOALS

    def __init__(self, cfg: CNNSentimentConfig, model: CNNClassifier, classes: Sequence[str],
                 train: tuple[list[np.ndarray], np.ndarray],
                 valid: tuple[list[np.ndarray], np.ndarray]) -> None:
        self.cfg, self.model, self.classes = cfg, model, list(classes)
        (self.x, self.y), (self.valid_x, self.valid_y) = train, valid
        self.order = EpochBatches(len(self.x), cfg.batch_size, cfg.seed)
        self.steps_per_epoch = self.order.steps_per_epoch
        self.weights = (tf.constant(class_weights(self.y, len(classes)))
                        if cfg.class_weight == "balanced" else None)
        self._forward = compiled_probabilities(model)

    def batches(self):
        for index in self.order:
            yield pad_batch([self.x[i] for i in index]), self.y[index]

    def initial_carry(self) -> tuple[np.ndarray, ...]:
        return ()

    def loss(self, batch, carry, training: bool):
        ids, y = batch
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(y, self.model(ids, training=training))
        if self.weights is not None:
            ce *= tf.gather(self.weights, y)
        total = tf.reduce_sum(ce)
        if training and self.model.losses:  # the L2 penalty, once per example like the mean it joins
            total += tf.add_n(self.model.losses) * tf.cast(tf.size(y), total.dtype)
        return total, tf.size(y), carry

    def evaluate(self) -> dict[str, float]:
        return validation_scores(self.valid_y, predict(self._forward, self.valid_x, self.cfg.eval_batch_size),
                                 self.classes)

    def data_position(self) -> dict[str, np.ndarray]:
        return {"offset": np.array(self.order.offset, np.int64)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        self.order.offset = int(arrays["offset"])


def train_cnn_sentiment(cfg: CNNSentimentConfig, resume: bool = False, overwrite: bool = False) -> dict:
    """Train (or resume) Kim's CNN classifier in cfg.run; the last validation metrics, the best
    checkpoint's step and metric, and with --vectors (or --word2vec) their coverage of the vocabulary and
    tokens."""
    cfg.validate()
    prepare_run_dir(cfg, resume, overwrite)
    set_seed(cfg.seed)
    train, valid = train_valid_data(cfg)
    train_tokens = tokenize_texts(train.texts, cfg.tokenizer, cfg.lowercase)
    if source := asset_source(cfg, resume):
        vocab, classes = read_run_assets(source)
        if set(train.labels) != set(classes):
            raise ConfigError(f"{cfg.train} has the classes {', '.join(sorted(set(train.labels)))}, but "
                              f"{source} was trained on {', '.join(classes)}: the model keeps its classes")
    else:
        vocab, classes = Vocab.build(train_tokens, cfg.max_vocab, cfg.min_count), sorted(set(train.labels))
    embeddings, coverage = None, {}
    if (cfg.vectors or cfg.trains_word2vec) and not resume:  # a resumed run's come from its checkpoint
        vectors = load_vectors(cfg.vectors) if cfg.vectors else word2vec_from_tokens(
            train_tokens, Word2VecOptions(dim=cfg.embedding_dim, epochs=cfg.word2vec, min_count=2,
                                          seed=cfg.seed, skipgram=True))
        cfg = dataclasses.replace(cfg, embedding_dim=vectors.vector_size)
        embeddings, coverage = pretrained_embeddings(vocab, vectors, train_tokens, cfg.seed)
        print(f"vectors {cfg.vectors or 'word2vec on the training texts'}: {coverage['vectors_words']:.1%} "
              f"of the vocabulary, {coverage['vectors_tokens']:.1%} of the training tokens; the rest start "
              "random")
    train_xy = (encode_tokens(train_tokens, vocab, cfg.max_len), label_ids(train, classes))
    valid_xy = (encode_texts(valid.texts, vocab, cfg),
                label_ids(valid, classes, f"the classes of {cfg.train}"))

    def save_assets(run_dir: Path) -> None:
        vocab.save(run_dir / VOCAB_FILE)
        atomic_write_text(run_dir / CLASSES_FILE, json.dumps(classes, ensure_ascii=False) + "\n")

    def build_task() -> ClassifierTask:
        model = build_classifier(cfg, len(vocab), len(classes), embeddings)
        return ClassifierTask(cfg, model, classes, train_xy, valid_xy)

    return train_in_run(cfg, resume, overwrite, build_task, save_assets) | coverage

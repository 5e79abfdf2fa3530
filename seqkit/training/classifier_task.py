"""Text classification as a trainer task, and training, classifying and evaluating from a run directory.

The run holds config.yaml, vocab.txt (one token per line) and classes.json beside the checkpoints, so
`classify` and `evaluate` need nothing but the run.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.config import CNNSentimentConfig
from seqkit.data.labeled import (
    EpochBatches,
    LabeledData,
    encode_tokens,
    label_ids,
    pad_batch,
    read_labeled,
    tokenize_texts,
)
from seqkit.data.text import read_text
from seqkit.data.vocab import SPECIALS, Vocab
from seqkit.embeddings.vectors import load_vectors
from seqkit.embeddings.word2vec import Word2VecOptions, word2vec_from_tokens
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_text
from seqkit.metrics.classification import plot_confusion, scores
from seqkit.models.cnn_classifier import CNNClassifier, build_classifier
from seqkit.training.checkpoints import (
    checkpoint_path,
    load_variables,
    prepare_run_dir,
    read_run_config,
)
from seqkit.training.trainer import set_seed, train_in_run

VOCAB_FILE = "vocab.txt"
CLASSES_FILE = "classes.json"


def compiled_probabilities(model: CNNClassifier):
    """softmax(model(ids)) compiled once for any [batch, time]."""
    return tf.function(lambda ids: tf.nn.softmax(model(ids, training=False)), reduce_retracing=True)


def predict(forward, seqs: Sequence[np.ndarray], batch_size: int) -> np.ndarray:
    """Class probabilities [n, classes]; texts of similar length share a batch, so little is padding."""
    order = np.argsort([len(s) for s in seqs], kind="stable")
    parts = [forward(pad_batch([seqs[i] for i in order[b:b + batch_size]])).numpy()
             for b in range(0, len(seqs), batch_size)]
    probs = np.empty((len(seqs), parts[0].shape[1]), np.float32)
    probs[order] = np.concatenate(parts)
    return probs


def encode_texts(texts: Sequence[str], vocab: Vocab, cfg: CNNSentimentConfig) -> list[np.ndarray]:
    """Ids of each text as the run's training saw them: its tokenizer, case and max_len."""
    return encode_tokens(tokenize_texts(texts, cfg.tokenizer, cfg.lowercase), vocab, cfg.max_len)


def read_run_assets(run_dir: Path) -> tuple[Vocab, list[str]]:
    """The vocabulary and the classes a run saved beside its config."""
    return Vocab.load(run_dir / VOCAB_FILE), json.loads(read_text(run_dir / CLASSES_FILE))


def read_data(path: str, cfg: CNNSentimentConfig) -> LabeledData:
    """Labelled examples with the run's column settings; skipped empty texts are reported on stderr."""
    data = read_labeled(path, cfg.label_column, cfg.text_column, cfg.delimiter)
    if data.skipped:
        shown = ", ".join(data.skipped[:3]) + (", ..." if len(data.skipped) > 3 else "")
        print(f"skipped {len(data.skipped)} example(s) with empty text: {shown}", file=sys.stderr)
    return data


def train_val_data(cfg: CNNSentimentConfig) -> tuple[LabeledData, LabeledData]:
    """(train, validation): the files given, or a seeded val_fraction of --train held out."""
    train = read_data(cfg.train, cfg)
    if cfg.val:
        return train, read_data(cfg.val, cfg)
    order = np.random.default_rng(cfg.seed).permutation(len(train))
    cut = max(1, int(round(len(train) * cfg.val_fraction)))
    if cut >= len(train):
        raise DataError(f"{cfg.train}: {len(train)} example(s) are too few to hold out validation data; "
                        "give --val FILE")
    return train.subset(order[cut:]), train.subset(order[:cut])


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
    goals = {"macro_f1": "max", "accuracy": "max", "loss": "min"}

    def __init__(self, cfg: CNNSentimentConfig, model: CNNClassifier, classes: Sequence[str],
                 train: tuple[list[np.ndarray], np.ndarray],
                 val: tuple[list[np.ndarray], np.ndarray]) -> None:
        self.cfg, self.model, self.classes = cfg, model, list(classes)
        (self.x, self.y), (self.val_x, self.val_y) = train, val
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
        probs = predict(self._forward, self.val_x, self.cfg.eval_batch_size)
        s = scores(self.val_y, probs.argmax(axis=1), self.classes)
        nll = -np.mean(np.log(np.maximum(probs[np.arange(len(probs)), self.val_y], 1e-12)))
        return {"macro_f1": s["macro_f1"], "accuracy": s["accuracy"], "loss": float(nll)}

    def data_position(self) -> dict[str, np.ndarray]:
        return {"offset": np.array(self.order.offset, np.int64)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        self.order.offset = int(arrays["offset"])


@dataclass
class Classifier:
    """A trained classifier rebuilt from its run: config, vocabulary, classes and model."""

    cfg: CNNSentimentConfig
    vocab: Vocab
    classes: list[str]
    model: CNNClassifier

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Ids of each text as the run's training saw them."""
        return encode_texts(texts, self.vocab, self.cfg)

    @cached_property
    def _forward(self):
        return compiled_probabilities(self.model)

    def probabilities(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """[texts, classes] probabilities."""
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32)
        return predict(self._forward, self.encode(texts), batch_size or self.cfg.eval_batch_size)


def load_classifier(run_dir: str | Path, which: str = "best") -> Classifier:
    """The classifier of a run directory, with the weights of its best (or `which`) checkpoint."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir, CNNSentimentConfig)
    vocab, classes = read_run_assets(run_dir)
    model = build_classifier(cfg, len(vocab), len(classes))
    load_variables(checkpoint_path(run_dir, which), {"model": model.variables})
    return Classifier(cfg, vocab, classes, model)


def classify(run: str | Path | Classifier, texts: Sequence[str], where: Sequence[str] | None = None,
             checkpoint: str = "best", batch_size: int | None = None) -> list[dict]:
    """{'label': class, 'probs': {class: probability}} per text; an empty text is a DataError naming it."""
    for i, text in enumerate(texts):
        if not text.strip():
            raise DataError(f"{where[i] if where else f'text {i + 1}'}: the text is empty")
    clf = run if isinstance(run, Classifier) else load_classifier(run, checkpoint)
    probs = clf.probabilities(texts, batch_size)
    return [{"label": clf.classes[int(p.argmax())], "probs": dict(zip(clf.classes, p.tolist()))}
            for p in probs]


def evaluate_classifier(run: str | Path, data: str | Path, checkpoint: str = "best",
                        label_column: str | None = None, text_column: str | None = None,
                        plot: str | Path | None = None, batch_size: int | None = None) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on labelled data
    (the run's column names unless given); labels the run does not know are a DataError naming the line.
    With `plot`, the confusion matrix is also written there as a PNG."""
    clf = load_classifier(run, checkpoint)
    cfg = dataclasses.replace(clf.cfg, label_column=label_column or clf.cfg.label_column,
                              text_column=text_column or clf.cfg.text_column)
    examples = read_data(str(data), cfg)
    y = label_ids(examples, clf.classes)
    result = scores(y, clf.probabilities(examples.texts, batch_size).argmax(axis=1), clf.classes)
    result["skipped"] = len(examples.skipped)
    if plot:
        plot_confusion(result, plot, title=f"{Path(run).name} on {Path(data).name}\naccuracy "
                       f"{result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}")
    return result


def train_cnn_sentiment(cfg: CNNSentimentConfig, resume: bool = False, overwrite: bool = False) -> dict:
    """Train (or resume) Kim's CNN classifier in cfg.run; the last validation metrics, the best
    checkpoint's step and metric, and with --vectors (or --word2vec) their coverage of the vocabulary and
    tokens."""
    cfg.validate()
    run = Path(cfg.run)
    prepare_run_dir(cfg, resume, overwrite)
    set_seed(cfg.seed)
    train, val = train_val_data(cfg)
    train_tokens = tokenize_texts(train.texts, cfg.tokenizer, cfg.lowercase)
    if resume:
        vocab, classes = read_run_assets(run)
    else:
        vocab, classes = Vocab.build(train_tokens, cfg.max_vocab, cfg.min_count), sorted(set(train.labels))
    embeddings, coverage = None, {}
    if (cfg.vectors or cfg.word2vec) and not resume:  # a resumed run's embeddings come from its checkpoint
        vectors = load_vectors(cfg.vectors) if cfg.vectors else word2vec_from_tokens(
            train_tokens, Word2VecOptions(dim=cfg.embedding_dim, epochs=cfg.word2vec, min_count=2,
                                          seed=cfg.seed, skipgram=True))
        cfg = dataclasses.replace(cfg, embedding_dim=vectors.vector_size)
        embeddings, coverage = pretrained_embeddings(vocab, vectors, train_tokens, cfg.seed)
        print(f"vectors {cfg.vectors or 'word2vec on the training texts'}: {coverage['vectors_words']:.1%} "
              f"of the vocabulary, {coverage['vectors_tokens']:.1%} of the training tokens; the rest start "
              "random")
    train_xy = (encode_tokens(train_tokens, vocab, cfg.max_len), label_ids(train, classes))
    val_xy = (encode_texts(val.texts, vocab, cfg), label_ids(val, classes))

    def save_assets(run_dir: Path) -> None:
        vocab.save(run_dir / VOCAB_FILE)
        atomic_write_text(run_dir / CLASSES_FILE, json.dumps(classes, ensure_ascii=False) + "\n")

    def build_task() -> ClassifierTask:
        model = build_classifier(cfg, len(vocab), len(classes), embeddings)
        return ClassifierTask(cfg, model, classes, train_xy, val_xy)

    return train_in_run(cfg, resume, build_task, save_assets) | coverage

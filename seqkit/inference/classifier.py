"""Classifying with a trained run: the classifier rebuilt from its run directory, and its evaluation.

A CNN run holds config.yaml, vocab.txt (one token per line) and classes.json beside the checkpoints, a
linear run config.yaml, classes.json and linear.npz, so `classify` and `evaluate` need nothing but the
run, of either kind.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import LINEAR_FILE, checkpoint_path, read_run_config
from seqkit.config import CNNSentimentConfig, LinearConfig, check_count
from seqkit.data.labeled import encode_tokens, label_ids, pad_batch, read_data, tokenize_texts
from seqkit.data.text import read_text
from seqkit.data.vocab import Vocab
from seqkit.errors import CheckpointError, DataError
from seqkit.inference.runs import load_weights
from seqkit.metrics.classification import plot_confusion, scores
from seqkit.models.cnn_classifier import CNNClassifier, build_classifier
from seqkit.models.linear_classifier import LinearClassifierModel, load_linear_model

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

    @property
    def batch_size(self) -> int:
        """Texts per model call by default."""
        return self.cfg.eval_batch_size

    @cached_property
    def _forward(self):
        return compiled_probabilities(self.model)

    def probabilities(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """[texts, classes] probabilities."""
        check_count("--batch-size", batch_size)
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32)
        return predict(self._forward, self.encode(texts), batch_size or self.cfg.eval_batch_size)


@dataclass
class LinearClassifier:
    """A linear (TF-IDF + logistic regression) run's classifier: config, classes and fitted model."""

    cfg: LinearConfig
    classes: list[str]
    model: LinearClassifierModel
    batch_size: int = 256  # texts per call when served: sparse features need no batching, so any size

    def probabilities(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """[texts, classes] probabilities (all texts at once: sparse features need no batching)."""
        check_count("--batch-size", batch_size)
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32)
        return self.model.probabilities(texts).astype(np.float32)


def load_linear(run_dir: Path, cfg: LinearConfig, which: str) -> LinearClassifier:
    """A linear run's classifier; it has one model, so `which` can only be best or latest."""
    if which not in ("best", "latest"):
        raise CheckpointError(f"{run_dir}: a linear run has one fitted model and no checkpoints: "
                              f"--checkpoint takes best or latest, not {which!r}")
    if not (run_dir / LINEAR_FILE).exists():
        raise CheckpointError(f"{run_dir}: no {LINEAR_FILE}; train first with `seqkit train linear --run "
                              f"{run_dir}`")
    classes = json.loads(read_text(run_dir / CLASSES_FILE))
    return LinearClassifier(cfg, classes, load_linear_model(cfg, run_dir / LINEAR_FILE, classes))


def load_classifier(run_dir: str | Path, which: str = "best") -> Classifier | LinearClassifier:
    """The classifier of a run directory: a CNN run's with the weights of its best (or `which`)
    checkpoint, or a linear run's."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    if isinstance(cfg, LinearConfig):
        return load_linear(run_dir, cfg, which)
    if not isinstance(cfg, CNNSentimentConfig):
        cfg = read_run_config(run_dir, CNNSentimentConfig)  # the error names the run's kind
    vocab, classes = read_run_assets(run_dir)
    path = checkpoint_path(run_dir, which)  # a missing one fails before the model builds
    return Classifier(cfg, vocab, classes, load_weights(build_classifier(cfg, len(vocab), len(classes)), cfg,
                                                        path))


def classify(run: str | Path | Classifier | LinearClassifier, texts: Sequence[str],
             where: Sequence[str] | None = None, checkpoint: str = "best",
             batch_size: int | None = None) -> list[dict]:
    """{'label': class, 'probs': {class: probability}} per text; an empty text is a DataError naming it."""
    for i, text in enumerate(texts):
        if not text.strip():
            raise DataError(f"{where[i] if where else f'text {i + 1}'}: the text is empty")
    clf = run if isinstance(run, Classifier | LinearClassifier) else load_classifier(run, checkpoint)
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

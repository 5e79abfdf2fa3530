"""Classifying with a trained run: the classifier rebuilt from its run directory, and its evaluation.

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

from seqkit.checkpoints import checkpoint_path, read_run_config
from seqkit.config import CNNSentimentConfig, check_count
from seqkit.data.labeled import LabeledData, encode_tokens, label_ids, pad_batch, read_labeled, tokenize_texts
from seqkit.data.text import read_text
from seqkit.data.vocab import Vocab
from seqkit.errors import DataError
from seqkit.inference.runs import load_weights
from seqkit.metrics.classification import plot_confusion, scores
from seqkit.models.cnn_classifier import CNNClassifier, build_classifier

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
        check_count("--batch-size", batch_size)
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32)
        return predict(self._forward, self.encode(texts), batch_size or self.cfg.eval_batch_size)


def load_classifier(run_dir: str | Path, which: str = "best") -> Classifier:
    """The classifier of a run directory, with the weights of its best (or `which`) checkpoint."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir, CNNSentimentConfig)
    vocab, classes = read_run_assets(run_dir)
    path = checkpoint_path(run_dir, which)  # a missing one fails before the model builds
    return Classifier(cfg, vocab, classes, load_weights(build_classifier(cfg, len(vocab), len(classes)), cfg,
                                                        path))


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

"""`seqkit evaluate classify RUN --data FILE --cv K`: stratified K-fold cross-validation of a run's
configuration, Kim's (2014) protocol for corpora without a test split (MR, SUBJ, CR).

Each fold trains the run's configuration afresh on the other K-1 folds (its checkpoint chosen on a
valid_fraction held out of them, never on the fold it is scored on) and scores the fold. One split of
a small corpus moves accuracy by a point or more; the mean and standard deviation over K folds say what
a configuration is worth.
"""

from __future__ import annotations

import csv
import dataclasses
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from seqkit.checkpoints import read_run_config
from seqkit.config import LabeledDataConfig, LinearConfig
from seqkit.data.labeled import LabeledData, label_ids, read_data
from seqkit.errors import ConfigError, DataError
from seqkit.inference.classifier import load_classifier
from seqkit.metrics.classification import scores


def write_csv(path: Path, data: LabeledData, index: Sequence[int]) -> None:
    """The examples at `index` as a label,text CSV file."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["label", "text"])
        out.writerows([data.labels[i], data.texts[i]] for i in index)


def train_fold(cfg) -> None:
    """Train a fold's configuration (a CNN or a linear one) into its run directory."""
    if isinstance(cfg, LinearConfig):
        from seqkit.training.linear_task import train_linear

        train_linear(cfg)
    else:
        from seqkit.training.classifier_task import train_cnn_sentiment

        train_cnn_sentiment(cfg)


def cross_validate(run: str | Path, data: str | Path, folds: int = 10, label_column: str | None = None,
                   text_column: str | None = None) -> dict:
    """Per-fold and mean (with population standard deviation) accuracy and macro-F1 of the configuration of
    `run` under stratified `folds`-fold cross-validation on `data` (the folds seeded by the run's seed)."""
    if folds < 2:
        raise ConfigError(f"--cv needs at least 2 folds, not {folds}")
    cfg = read_run_config(run)
    if not isinstance(cfg, LabeledDataConfig):
        raise ConfigError(f"{run}: --cv cross-validates a classifier's configuration (a run of `seqkit train "
                          "cnn-sentiment` or `seqkit train linear`)")
    cfg = dataclasses.replace(cfg, label_column=label_column or cfg.label_column,
                              text_column=text_column or cfg.text_column)
    examples = read_data(str(data), cfg)
    classes = sorted(set(examples.labels))
    counts = {c: examples.labels.count(c) for c in classes}
    if len(classes) < 2 or min(counts.values()) < folds:
        few = min(counts, key=counts.get)
        raise DataError(f"{data}: {folds}-fold cross-validation needs at least {folds} examples of each of "
                        f"two or more classes; {few!r} has {counts[few]}")
    y = label_ids(examples, classes)
    split = StratifiedKFold(folds, shuffle=True, random_state=cfg.seed).split(np.zeros(len(y)), y)
    results = []
    with tempfile.TemporaryDirectory(prefix="seqkit-cv-") as tmp:
        for k, (train_index, test_index) in enumerate(split, 1):
            fold_dir = Path(tmp) / f"fold{k}"
            fold_dir.mkdir()
            write_csv(fold_dir / "train.csv", examples, train_index)
            fold_cfg = dataclasses.replace(cfg, run=str(fold_dir / "run"), train=str(fold_dir / "train.csv"),
                                           valid="", label_column="label", text_column="text",
                                           delimiter="comma")
            train_fold(fold_cfg)
            clf = load_classifier(fold_cfg.run)
            texts = [examples.texts[i] for i in test_index]
            truth = [clf.classes.index(examples.labels[i]) for i in test_index]
            s = scores(np.array(truth), clf.probabilities(texts).argmax(axis=1), clf.classes)
            results.append({"fold": k, "accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
                            "examples": len(test_index)})
            print(f"fold {k}/{folds}: accuracy {s['accuracy']:.4f}  macro-F1 {s['macro_f1']:.4f}",
                  file=sys.stderr, flush=True)
    summary = {f"{m}_{stat}": float(f([r[m] for r in results]))
               for m in ("accuracy", "macro_f1") for stat, f in (("mean", np.mean), ("std", np.std))}
    return {"folds": results, "k": folds, "examples": len(y), **summary}


def format_cross_validation(s: dict) -> str:
    """A fold-by-fold table and the mean +- standard deviation."""
    lines = ["fold  accuracy  macro-F1  examples"]
    lines += [f"{r['fold']:>4}  {r['accuracy']:8.4f}  {r['macro_f1']:8.4f}  {r['examples']:>8}"
              for r in s["folds"]]
    lines.append(f"{s['k']}-fold cross-validation, {s['examples']} examples: accuracy "
                 f"{s['accuracy_mean']:.4f} +- {s['accuracy_std']:.4f}  macro-F1 {s['macro_f1_mean']:.4f} +- "
                 f"{s['macro_f1_std']:.4f}")
    return "\n".join(lines)

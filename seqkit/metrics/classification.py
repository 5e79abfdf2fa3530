"""Classification metrics (accuracy, macro-F1, per-class precision/recall, confusion) as scikit-learn
defines them (a class never predicted has precision 0), without needing scikit-learn at run time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqkit.fileio import atomic_write


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """[true, predicted] counts."""
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(num_classes, -1)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def scores(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict:
    """accuracy, macro_f1, per_class {label: precision, recall, f1, support}, confusion (a list of rows)."""
    cm = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), len(classes))
    hits = np.diag(cm).astype(float)
    precision, recall = _ratio(hits, cm.sum(axis=0)), _ratio(hits, cm.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    per_class = {c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for c, p, r, f, s in zip(classes, precision, recall, f1, cm.sum(axis=1))}
    return {"accuracy": float(hits.sum() / max(1, cm.sum())), "macro_f1": float(f1.mean()),
            "per_class": per_class, "confusion": cm.tolist(), "classes": list(classes), "n": int(cm.sum())}


# Which way each validation metric is better, for checkpoint and C selection.
GOALS = {"macro_f1": "max", "accuracy": "max", "loss": "min"}


def validation_scores(y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """What a classifier's validation reports, whatever the model: macro-F1, accuracy, and the mean
    negative log-probability of the true class (probabilities floored at 1e-12)."""
    s = scores(y_true, probs.argmax(axis=1), classes)
    nll = -np.mean(np.log(np.maximum(probs[np.arange(len(probs)), y_true], 1e-12)))
    return {"macro_f1": s["macro_f1"], "accuracy": s["accuracy"], "loss": float(nll)}


def format_scores(s: dict) -> str:
    """The scores as text: the headline figures, a per-class table and the confusion matrix."""
    classes = s["classes"]
    w = max(9, *map(len, classes))
    lines = [f"accuracy {s['accuracy']:.4f}  macro-F1 {s['macro_f1']:.4f}  examples {s['n']}", "",
             f"{'class':<{w}}  precision  recall  f1      support"]
    lines += [f"{c:<{w}}  {m['precision']:9.4f}  {m['recall']:6.4f}  {m['f1']:6.4f}  {m['support']:7d}"
              for c, m in s["per_class"].items()]
    cw = max(7, *map(len, classes), *(len(str(v)) for row in s["confusion"] for v in row))
    lines += ["", "confusion (rows: true, columns: predicted)",
              f"{'':<{w}}  " + "  ".join(f"{c:>{cw}}" for c in classes)]
    lines += [f"{c:<{w}}  " + "  ".join(f"{v:>{cw}}" for v in row) for c, row in zip(classes, s["confusion"])]
    return "\n".join(lines)


def plot_confusion(s: dict, path: str | Path, title: str = "") -> Path:
    """Write the confusion matrix as a PNG heat map with counts, rows normalised for the colours."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    cm, classes = np.array(s["confusion"]), s["classes"]
    share = cm / np.maximum(1, cm.sum(axis=1, keepdims=True))
    size = 1.5 + 0.7 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black")
    ax.set(xticks=range(len(classes)), yticks=range(len(classes)), xlabel="predicted", ylabel="true",
           title=title or f"accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f}")
    ax.set_xticklabels(classes, rotation=45, ha="right")
    ax.set_yticklabels(classes)
    fig.colorbar(image, ax=ax, label="share of the true class")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)
    return Path(path)

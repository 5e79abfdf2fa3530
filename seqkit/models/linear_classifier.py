"""TF-IDF word and character n-grams with logistic regression (scikit-learn): the linear text classifier.

It is the baseline users compare against first, and often the right model for small data. scikit-learn
does the work; seqkit adds its tokenizers for the word n-grams, and a file format: the fitted model is
saved as arrays (n-gram vocabularies, idf weights, coefficients) in one .npz instead of a pickle, because
a pickle is tied to the scikit-learn version that wrote it and loading one runs code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from seqkit.config import LinearConfig, ngram_range
from seqkit.data.tokenize import tokenizer
from seqkit.fileio import atomic_write


def vectorizers(cfg: LinearConfig) -> dict[str, TfidfVectorizer]:
    """The unfitted TF-IDF vectorizers of the n-gram kinds the config asks for."""
    common = dict(lowercase=cfg.lowercase, sublinear_tf=cfg.sublinear_tf,
                  max_features=cfg.max_features or None)
    out = {}
    if words := ngram_range(cfg.word_ngrams):
        out["words"] = TfidfVectorizer(tokenizer=tokenizer(cfg.tokenizer), token_pattern=None,
                                       ngram_range=words, min_df=cfg.min_count, **common)
    if chars := ngram_range(cfg.char_ngrams):
        out["chars"] = TfidfVectorizer(analyzer="char_wb", ngram_range=chars, min_df=cfg.char_min_count,
                                       **common)
    return out


@dataclass
class LinearClassifierModel:
    """Fitted vectorizers and a logistic regression over their stacked features."""

    vectorizers: dict[str, TfidfVectorizer]
    regression: LogisticRegression

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """[texts, classes] probabilities, classes in sorted order."""
        return self.regression.predict_proba(features(self.vectorizers, texts))

    def save(self, path: str | Path) -> None:
        """Write the model's arrays atomically: per n-gram kind its vocabulary (newline-joined UTF-8: an
        n-gram never holds a newline) and idf weights, then the coefficients and intercepts."""
        arrays = {"coef": self.regression.coef_, "intercept": self.regression.intercept_}
        for kind, v in self.vectorizers.items():
            grams = sorted(v.vocabulary_, key=v.vocabulary_.get)
            arrays[f"{kind}_vocabulary"] = np.frombuffer("\n".join(grams).encode("utf-8"), np.uint8)
            arrays[f"{kind}_idf"] = v.idf_

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)

        atomic_write(path, write)


def features(fitted: dict[str, TfidfVectorizer], texts: Sequence[str]) -> csr_matrix:
    """[texts, n-grams] TF-IDF rows of fitted vectorizers, word columns first."""
    return hstack([v.transform(texts) for v in fitted.values()]).tocsr()


def fit_features(cfg: LinearConfig, texts: Sequence[str]) -> tuple[dict[str, TfidfVectorizer], csr_matrix]:
    """The vectorizers fitted on the training texts, and those texts' stacked features."""
    fitted = vectorizers(cfg)
    return fitted, hstack([v.fit_transform(texts) for v in fitted.values()]).tocsr()


def regression(cfg: LinearConfig, c: float) -> LogisticRegression:
    """The unfitted logistic regression of the config, with inverse L2 strength c."""
    return LogisticRegression(C=c, max_iter=cfg.max_iter, class_weight=None if cfg.class_weight == "none"
                              else cfg.class_weight, random_state=cfg.seed)


def load_linear_model(cfg: LinearConfig, path: str | Path, classes: Sequence[str]) -> LinearClassifierModel:
    """The model saved at `path` by LinearClassifierModel.save, for the run's config and classes."""
    with np.load(path, allow_pickle=False) as arrays:
        fitted = vectorizers(cfg)
        for kind, v in fitted.items():
            grams = bytes(arrays[f"{kind}_vocabulary"]).decode("utf-8").split("\n")
            v.vocabulary = {gram: i for i, gram in enumerate(grams)}
            v.idf_ = arrays[f"{kind}_idf"]
        model = regression(cfg, 1.0)
        model.classes_ = np.array(classes)
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
    return LinearClassifierModel(fitted, model)

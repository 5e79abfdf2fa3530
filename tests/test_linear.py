"""`seqkit train linear` (TF-IDF + logistic regression) against scikit-learn built by hand, its run used by
classify, evaluate and serve, and `evaluate classify --cv K` against its own folds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from test_classifier import CLASSES, one_line_error, run_cli, toy_rows, write_csv

from seqkit.config import C_GRID, LinearConfig
from seqkit.data.labeled import read_labeled, train_valid_data
from seqkit.data.tokenize import tokenizer
from seqkit.errors import ConfigError, DataError
from seqkit.inference.classifier import classify, evaluate_classifier, load_classifier
from seqkit.metrics.classification import scores
from seqkit.serve.models import load_models
from seqkit.training.cross_validation import cross_validate
from seqkit.training.linear_task import train_linear


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("linear_toy")
    write_csv(d / "train.csv", toy_rows(240, 1))
    write_csv(d / "val.csv", toy_rows(60, 2))
    return d


def by_hand(train_texts, train_labels, c: float, class_weight=None):
    """The same model with scikit-learn alone: word 1-2-grams of treebank tokens, char_wb 2-5-grams."""
    words = TfidfVectorizer(tokenizer=tokenizer("treebank"), token_pattern=None, ngram_range=(1, 2),
                            sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    x = hstack([words.fit_transform(train_texts), chars.fit_transform(train_texts)]).tocsr()
    model = LogisticRegression(C=c, max_iter=1000, class_weight=class_weight, random_state=0)
    model.fit(x, train_labels)
    return lambda texts: model.predict_proba(hstack([words.transform(texts), chars.transform(texts)]).tocsr())


@pytest.mark.parametrize("class_weight", ["none", "balanced"])
def test_the_saved_run_gives_scikit_learns_probabilities(toy, tmp_path, class_weight) -> None:
    cfg = LinearConfig(run=str(tmp_path / "run"), train=str(toy / "train.csv"), c=3.0,
                       class_weight=class_weight)
    result = train_linear(cfg)
    train, valid = train_valid_data(cfg)  # no --valid: the same seeded 10% held out
    oracle = by_hand(train.texts, train.labels, 3.0, None if class_weight == "none" else "balanced")
    clf = load_classifier(cfg.run)
    texts = read_labeled(toy / "val.csv").texts
    assert clf.classes == list(CLASSES)
    np.testing.assert_allclose(clf.probabilities(texts), oracle(texts), rtol=1e-6, atol=1e-7)
    y = np.array([CLASSES.index(label) for label in valid.labels])
    expected = scores(y, oracle(valid.texts).argmax(axis=1), CLASSES)
    assert result["c"] == 3.0 and result["macro_f1"] == pytest.approx(expected["macro_f1"])


def test_c_is_the_best_of_the_grid_on_validation(toy, tmp_path) -> None:
    cfg = LinearConfig(run=str(tmp_path / "run"), train=str(toy / "train.csv"), valid=str(toy / "val.csv"),
                       word_ngrams="1", char_ngrams="0")
    result = train_linear(cfg)
    records = [json.loads(line) for line in (tmp_path / "run/metrics.jsonl").read_text().splitlines()]
    assert [r["c"] for r in records] == list(C_GRID)
    best = max(records, key=lambda r: r["macro_f1"])  # the first of equals: the smaller C
    assert result["c"] == best["c"] and result["macro_f1"] == best["macro_f1"]
    again = evaluate_classifier(cfg.run, toy / "val.csv")
    assert again["macro_f1"] == pytest.approx(best["macro_f1"]) and again["accuracy"] == pytest.approx(
        best["accuracy"])


def test_the_run_works_with_classify_evaluate_and_serve(toy, tmp_path, capsys) -> None:
    run = str(tmp_path / "run")
    code, out, err = run_cli(capsys, "train", "linear", "--train", str(toy / "train.csv"), "--run", run,
                             "--c", "10")
    assert code == 0 and "c=10.0" in out and "macro_f1=" in out, err
    code, out, _ = run_cli(capsys, "classify", run, "--json", "great film", "awful plot")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["label"] for r in records] == ["positive", "negative"]
    assert [r["label"] for r in classify(run, ["great film", "awful plot"])] == ["positive", "negative"]
    code, out, _ = run_cli(capsys, "evaluate", "classify", run, "--data", str(toy / "val.csv"), "--json")
    assert code == 0 and json.loads(out)["accuracy"] > 0.9
    served = load_models([run])[0]
    assert served.kind == "classifier" and served.endpoint == "/classify"
    assert served.run_batch(None, ["great film"]) == classify(run, ["great film"])
    one_line_error(run_cli(capsys, "train", "linear", "--train", str(toy / "train.csv"), "--run", run),
                   "already holds a run; pass --overwrite to discard it")
    one_line_error(run_cli(capsys, "train", "linear", "--run", run, "--resume"), "fitted in one pass")
    one_line_error(run_cli(capsys, "classify", run, "--checkpoint", "5", "great"), "has one fitted model")
    one_line_error(run_cli(capsys, "export", run, "--saved-model", str(tmp_path / "sm")),
                   "has no SavedModel form")
    one_line_error(run_cli(capsys, "train", "linear", "--train", str(toy / "train.csv"), "--run",
                           str(tmp_path / "r2"), "--word-ngrams", "0", "--char-ngrams", "0"),
                   "no features")
    one_line_error(run_cli(capsys, "train", "linear", "--train", str(toy / "train.csv"), "--run",
                           str(tmp_path / "r2"), "--char-ngrams", "5,2"), "1 <= N <= M")
    assert not (tmp_path / "r2").exists() or not any((tmp_path / "r2").iterdir())


def test_cross_validation_trains_each_fold_afresh(toy, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    train_linear(LinearConfig(run=str(run), train=str(toy / "train.csv"), c=3.0, seed=4))
    s = cross_validate(run, toy / "train.csv", folds=3)
    assert [f["examples"] for f in s["folds"]] == [80, 80, 80] and s["examples"] == 240
    acc = [f["accuracy"] for f in s["folds"]]
    assert s["accuracy_mean"] == pytest.approx(np.mean(acc))
    assert s["accuracy_std"] == pytest.approx(np.std(acc)) and s["accuracy_std"] > 0
    # Fold 1 by hand: the same stratified split (seeded by the run's seed), the run's seeded 10% of the
    # other folds held out, and scikit-learn's model fitted on the rest.
    data = read_labeled(toy / "train.csv")
    y = np.array([CLASSES.index(label) for label in data.labels])
    train_index, test_index = next(StratifiedKFold(3, shuffle=True, random_state=4).split(y, y))
    order = np.random.default_rng(4).permutation(len(train_index))
    fit_index = train_index[order[16:]]  # 10% of the 160 held out
    oracle = by_hand([data.texts[i] for i in fit_index], [data.labels[i] for i in fit_index], 3.0)
    pred = oracle([data.texts[i] for i in test_index]).argmax(axis=1)
    assert s["folds"][0]["accuracy"] == pytest.approx(np.mean(pred == y[test_index]))
    code, out, _ = run_cli(capsys, "evaluate", "classify", str(run), "--data", str(toy / "train.csv"), "--cv",
                           "3")
    summary = f"3-fold cross-validation, 240 examples: accuracy {s['accuracy_mean']:.4f} +- "
    assert code == 0 and out.splitlines()[-1].startswith(summary + f"{s['accuracy_std']:.4f}")
    with pytest.raises(DataError, match="needs at least 100 examples of each"):
        cross_validate(run, toy / "train.csv", folds=100)
    with pytest.raises(ConfigError, match="at least 2 folds"):
        cross_validate(run, toy / "train.csv", folds=1)

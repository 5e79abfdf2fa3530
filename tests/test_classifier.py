"""Kim's CNN classifier on a small labelled set the tests write: it learns, resumes exactly, classifies
and evaluates from its run alone, scores like scikit-learn, and reports bad input by its line."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import tarfile
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.utils.class_weight import compute_class_weight

from seqkit.checkpoints import CheckpointDir
from seqkit.cli.main import main
from seqkit.config import CNNSentimentConfig
from seqkit.data.labeled import EpochBatches, encode_tokens, pad_batch, read_labeled, tokenize_texts
from seqkit.data.vocab import Vocab
from seqkit.data_prep import imdb
from seqkit.embeddings.word2vec import Word2VecOptions, word2vec_from_tokens
from seqkit.errors import ConfigError, DataError
from seqkit.inference.classifier import classify, evaluate_classifier, load_classifier
from seqkit.metrics.classification import scores
from seqkit.models.cnn_classifier import build_classifier
from seqkit.training.classifier_task import class_weights, train_cnn_sentiment
from seqkit.training.trainer import Trainer

CLASSES = ("negative", "neutral", "positive")
CUES = {"positive": ["great", "love", "excellent", "wonderful"], "negative": ["awful", "hate", "terrible",
                                                                             "boring"], "neutral": []}
FILLER = ["the", "a", "movie", "film", "was", "it", "plot", "actor", "today", "and", "with", "my"]


def toy_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """(label, text): filler words, plus one sentiment word for the positive and negative classes."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = CLASSES[i % 3]
        words = rng.choices(FILLER, k=rng.randint(3, 14))
        if CUES[label]:
            words.insert(rng.randrange(len(words) + 1), rng.choice(CUES[label]))
        rows.append((label, " ".join(words)))
    return rows


def write_csv(path: Path, rows, header=("label", "text")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("toy")
    write_csv(d / "train.csv", toy_rows(300, 1))
    write_csv(d / "val.csv", toy_rows(90, 2))
    return d


def small_cfg(toy: Path, run: Path, **overrides) -> CNNSentimentConfig:
    values = dict(run=str(run), train=str(toy / "train.csv"), valid=str(toy / "val.csv"), maps=16,
                  embedding_dim=16, widths="2,3", batch_size=32, learning_rate=2e-2, epochs=3, min_steps=0,
                  word2vec=0, log_every=1, seed=1)
    return CNNSentimentConfig(**(values | overrides))


@pytest.fixture(scope="module")
def trained(toy, tmp_path_factory) -> tuple[Path, dict]:
    run = tmp_path_factory.mktemp("trained") / "run"
    return run, train_cnn_sentiment(small_cfg(toy, run, epochs=4, dropout=0.3))


def train_losses(run: Path) -> dict[int, float]:
    records = [json.loads(line) for line in open(run / "metrics.jsonl")]
    return {r["step"]: r["loss"] for r in records if r["split"] == "train"}


def test_learns_the_toy_sentiment(trained) -> None:
    run, result = trained
    losses = train_losses(run)
    assert np.mean([losses[s] for s in range(38, 41)]) < np.mean([losses[s] for s in range(1, 4)]) - 0.5
    assert result["best_macro_f1"] > 0.9 and result["accuracy"] > 0.9  # chance: 1/3
    assert (run / "vocab.txt").exists() and json.loads((run / "classes.json").read_text()) == list(CLASSES)
    evals = [json.loads(line) for line in open(run / "metrics.jsonl") if '"valid"' in line]
    assert [e["step"] for e in evals] == [10, 20, 30, 40]  # one evaluation an epoch: ceil(300 / 32) steps
    assert CheckpointDir(run).best()["value"] == max(e["macro_f1"] for e in evals)


def test_scores_ignore_padding_and_texts_are_cut_at_max_len(toy, tmp_path) -> None:
    cfg = small_cfg(toy, tmp_path / "run", max_len=5)
    vocab = Vocab.build([["good", "bad", "film"]])
    seqs = encode_tokens(tokenize_texts(["good film", "a bad bad film that was long", "Good"], "tweet", True),
                         vocab, cfg.max_len)
    assert [len(s) for s in seqs] == [2, 5, 1] and seqs[1].tolist() == [1, 4, 4, 5, 1]
    model = build_classifier(cfg, len(vocab), 3)
    tight = model(pad_batch(seqs)).numpy()
    loose = model(pad_batch(seqs, min_len=40)).numpy()
    alone = np.concatenate([model(pad_batch([s])).numpy() for s in seqs])
    np.testing.assert_allclose(tight, loose, atol=1e-5)
    np.testing.assert_allclose(tight, alone, atol=1e-5)


def test_resume_equals_uninterrupted_training(toy, tmp_path, monkeypatch) -> None:
    options = dict(epochs=2, dropout=0.5, class_weight="balanced")  # cosine decay over the 20 steps
    train_cnn_sentiment(small_cfg(toy, tmp_path / "straight", **options))
    real_step = Trainer.train_step

    def ctrl_c_during_step_8(self, batch):
        if self.step == 7:  # a real SIGINT: the step in flight completes, then training stops and saves
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(self, batch)

    monkeypatch.setattr(Trainer, "train_step", ctrl_c_during_step_8)
    part = small_cfg(toy, tmp_path / "resumed", **options)
    with pytest.raises(KeyboardInterrupt):
        train_cnn_sentiment(part)
    assert CheckpointDir(part.run).steps() == [8]  # mid-epoch: the rest of epoch 1 and epoch 2 follow
    monkeypatch.setattr(Trainer, "train_step", real_step)
    train_cnn_sentiment(part, resume=True)
    a, b = train_losses(tmp_path / "straight"), train_losses(tmp_path / "resumed")
    assert sorted(a) == sorted(b) == list(range(1, 21))
    np.testing.assert_allclose([b[s] for s in range(9, 21)], [a[s] for s in range(9, 21)], atol=1e-6)


def test_epoch_batches_serve_every_example_once_an_epoch() -> None:
    order = EpochBatches(10, 4, seed=3)
    served = np.concatenate([next(order) for _ in range(5)])  # 20 examples: two epochs exactly
    assert sorted(served[:10]) == sorted(served[10:]) == list(range(10))
    assert served[:10].tolist() != served[10:].tolist()  # each epoch has its own order
    again = EpochBatches(10, 4, seed=3)
    again.offset = 8
    np.testing.assert_array_equal(next(again), served[8:12])  # crosses into epoch 1
    assert order.steps_per_epoch == 3 and EpochBatches(3, 8, 0).steps_per_epoch == 1


def test_metrics_equal_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 3, 200))  # class 3 never predicted
    s = scores(y_true, y_pred, ["a", "b", "c", "d"])
    p, r, f, n = skm.precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert s["macro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert s["confusion"] == skm.confusion_matrix(y_true, y_pred).tolist()
    for i, c in enumerate("abcd"):
        assert [s["per_class"][c][k] for k in ("precision", "recall", "f1", "support")] == pytest.approx(
            [p[i], r[i], f[i], n[i]])


def test_balanced_class_weights_match_scikit_learn() -> None:
    y = np.array([0] * 6 + [1] * 3 + [2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(class_weights(y, 3), expected)


def test_classify_and_evaluate_from_the_run_alone(trained, toy, tmp_path) -> None:
    run = tmp_path / "moved"
    shutil.copytree(trained[0], run)
    data = write_csv(tmp_path / "eval.csv", toy_rows(60, 5))
    results = classify(run, ["I love this film", "awful awful plot", "the actor today"])
    assert [r["label"] for r in results] == ["positive", "negative", "neutral"]
    assert all(sum(r["probs"].values()) == pytest.approx(1, abs=1e-5) for r in results)
    s = evaluate_classifier(run, data, plot=tmp_path / "cm.png")
    rows = toy_rows(60, 5)
    y_true = [CLASSES.index(label) for label, _ in rows]
    y_pred = [CLASSES.index(r["label"]) for r in classify(run, [t for _, t in rows])]
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert s["macro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert s["confusion"] == skm.confusion_matrix(y_true, y_pred).tolist() and s["n"] == 60
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_data_is_reported_by_its_line(trained, tmp_path) -> None:
    run = trained[0]
    data = write_csv(tmp_path / "unknown.csv", [("positive", "great"), ("mixed", "so so")])
    with pytest.raises(DataError, match=r"unknown.csv line 3: label 'mixed' is not one of the classes "
                                        r"\(negative, neutral, positive\)"):
        evaluate_classifier(run, data)
    data = write_csv(tmp_path / "cols.csv", [("positive", "great")], header=("sentiment", "tweet"))
    with pytest.raises(DataError, match="line 1: no column 'label', 'text' in the header .*--label-column"):
        evaluate_classifier(run, data)
    assert evaluate_classifier(run, data, label_column="sentiment", text_column="tweet")["n"] == 1
    (tmp_path / "bytes.csv").write_bytes(b"label,text\npositive,great\nnegative,caf\xe9 awful\n")
    with pytest.raises(DataError, match=r"bytes.csv: byte \d+ \(line 3\) is not valid UTF-8"):
        read_labeled(tmp_path / "bytes.csv")
    (tmp_path / "fields.csv").write_text("label,text\npositive,great\nnegative,awful,plot\n")
    with pytest.raises(DataError, match="fields.csv line 3: 3 fields, the header has 2"):
        read_labeled(tmp_path / "fields.csv")
    (tmp_path / "nolabel.csv").write_text('label,text\n,"multi\nline"\n')
    with pytest.raises(DataError, match="nolabel.csv line 2: the label is empty"):
        read_labeled(tmp_path / "nolabel.csv")


def test_empty_texts_are_skipped_with_a_note_but_not_classified(trained, tmp_path, capsys) -> None:
    data = write_csv(tmp_path / "gaps.csv", [("positive", "great"), ("negative", "  "), ("neutral", "the"),
                                            ("positive", "")])
    s = evaluate_classifier(trained[0], data)
    assert s["n"] == 2 and s["skipped"] == 2
    assert "skipped 2 example(s) with empty text: " in capsys.readouterr().err
    with pytest.raises(DataError, match="text 2: the text is empty"):
        classify(trained[0], ["great", " "])


def test_tsv_and_folder_per_class(tmp_path) -> None:
    (tmp_path / "d.tsv").write_text('label\ttext\npos\the said "great\nneg\tawful, really\n')  # no quoting
    d = read_labeled(tmp_path / "d.tsv")
    assert d.texts == ['he said "great', "awful, really"] and d.where[1].endswith("d.tsv line 3")
    for label, name, text in [("pos", "1_9.txt", "great"), ("neg", "2_1.txt", "awful"),
                              ("unsup", "3_0.txt", "unlabelled"), ("neg", "4_2.txt", "")]:
        (tmp_path / "train" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "train" / label / name).write_text(text)
    d = read_labeled(tmp_path / "train")
    assert (d.labels, d.texts) == (["neg", "pos"], ["awful", "great"])
    assert d.skipped == [str(tmp_path / "train" / "neg" / "4_2.txt")]
    with pytest.raises(DataError, match="no class folders"):
        read_labeled(tmp_path / "train" / "pos")


def test_pretrained_vectors_static_and_non_static(toy, tmp_path, capsys) -> None:
    words = ["great", "awful", "movie", "the", "nothere"]
    rng = np.random.default_rng(0)
    table = {w: rng.normal(size=8).round(4) for w in words}
    (tmp_path / "glove.txt").write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in table.items()))
    cfg = small_cfg(toy, tmp_path / "static", vectors=str(tmp_path / "glove.txt"), embedding_mode="static",
                    max_steps=3)
    result = train_cnn_sentiment(cfg)
    assert "of the vocabulary" in capsys.readouterr().out
    clf = load_classifier(cfg.run)
    vocab, emb = clf.vocab, clf.model.embedding.embeddings.numpy()
    assert clf.cfg.embedding_dim == 8  # the vectors' size, saved for classify and evaluate
    for w in words[:4]:
        np.testing.assert_allclose(emb[vocab.ids[w]], table[w], atol=1e-6)  # frozen: still GloVe's
    assert not emb[0].any()  # <pad>
    assert result["vectors_words"] == pytest.approx(4 / (len(vocab) - 4))
    tokens = tokenize_texts([t for _, t in toy_rows(300, 1)], "tweet", True)
    covered = sum(t in words for ts in tokens for t in ts) / sum(map(len, tokens))
    assert result["vectors_tokens"] == pytest.approx(covered)
    oov = emb[vocab.ids["plot"]]
    assert oov.any() and np.abs(oov).max() <= np.sqrt(3) * np.stack(list(table.values())).std() + 1e-6
    tuned = small_cfg(toy, tmp_path / "tuned", vectors=str(tmp_path / "glove.txt"), max_steps=3)
    train_cnn_sentiment(tuned)
    emb = load_classifier(tuned.run).model.embedding.embeddings.numpy()
    assert not np.allclose(emb[vocab.ids["great"]], table["great"], atol=1e-4)  # fine-tuned


def test_multichannel_has_a_frozen_and_a_fine_tuned_copy(toy, tmp_path) -> None:
    words = ["great", "awful", "movie", "the"]
    rng = np.random.default_rng(0)
    table = {w: rng.normal(size=8).round(4) for w in words}
    (tmp_path / "glove.txt").write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in table.items()))
    cfg = small_cfg(toy, tmp_path / "multi", vectors=str(tmp_path / "glove.txt"),
                    embedding_mode="multichannel", max_steps=3)
    train_cnn_sentiment(cfg)
    clf = load_classifier(cfg.run)
    static, tuned = clf.model.static_embedding.embeddings.numpy(), clf.model.embedding.embeddings.numpy()
    assert static.shape == tuned.shape == (len(clf.vocab), 8)
    assert clf.model.convs[0].kernel.shape[1] == 16  # every filter sees both channels
    for w in words:
        np.testing.assert_allclose(static[clf.vocab.ids[w]], table[w], atol=1e-6)
    assert not np.allclose(tuned[clf.vocab.ids["great"]], table["great"], atol=1e-4)
    assert [v.name for v in clf.model.trainable_variables].count("embeddings") == 1
    single = build_classifier(small_cfg(toy, tmp_path / "r", embedding_dim=8), len(clf.vocab), 3)
    assert single.static_embedding is None and single.convs[0].kernel.shape[1] == 8


def test_word2vec_on_the_training_texts(toy, tmp_path, capsys) -> None:
    cfg = small_cfg(toy, tmp_path / "w2v", word2vec=2, embedding_mode="static", embedding_dim=8, max_steps=2)
    result = train_cnn_sentiment(cfg)
    assert "word2vec on the training texts" in capsys.readouterr().out and result["vectors_words"] == 1.0
    clf = load_classifier(cfg.run)
    tokens = tokenize_texts([t for _, t in toy_rows(300, 1)], cfg.tokenizer, True)
    kv = word2vec_from_tokens(tokens, Word2VecOptions(dim=8, epochs=2, min_count=2, seed=1, skipgram=True))
    emb = clf.model.embedding.embeddings.numpy()
    for w in ("great", "movie"):
        np.testing.assert_allclose(emb[clf.vocab.ids[w]], kv[w], atol=1e-6)


def test_config_errors(toy, tmp_path) -> None:
    with pytest.raises(ConfigError, match="static freezes pretrained vectors: give --vectors"):
        train_cnn_sentiment(small_cfg(toy, tmp_path / "r", embedding_mode="static"))
    with pytest.raises(ConfigError, match="multichannel freezes pretrained vectors: give --vectors"):
        train_cnn_sentiment(small_cfg(toy, tmp_path / "r", embedding_mode="multichannel"))
    with pytest.raises(ConfigError, match="rand starts from random vectors: drop --vectors"):
        train_cnn_sentiment(small_cfg(toy, tmp_path / "r", vectors="v.txt", embedding_mode="rand"))
    # word2vec (on by default) starts the vectors only when nothing else does
    assert CNNSentimentConfig(train="t.csv").trains_word2vec
    assert not CNNSentimentConfig(train="t.csv", vectors="v.txt").trains_word2vec
    assert not CNNSentimentConfig(train="t.csv", embedding_mode="rand").trains_word2vec
    assert not CNNSentimentConfig(train="t.csv", init_from="runs/x").trains_word2vec
    assert not CNNSentimentConfig(train="t.csv", word2vec=0).trains_word2vec
    with pytest.raises(ConfigError, match="widths must be positive integers"):
        train_cnn_sentiment(small_cfg(toy, tmp_path / "r", widths="3,x"))
    with pytest.raises(ConfigError, match="train is required"):
        CNNSentimentConfig().validate()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(result: tuple[int, str, str], pattern: str) -> None:
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert pattern in lines[0], lines[0]


@pytest.mark.parametrize("argv", [["train", "cnn-sentiment"], ["classify"], ["evaluate", "classify"]])
def test_help(argv, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0 and "usage: seqkit" in capsys.readouterr().out


def test_command_line(toy, tmp_path, capsys) -> None:
    run = str(tmp_path / "run")
    code, out, err = run_cli(capsys, "train", "cnn-sentiment", "--train", str(toy / "train.csv"), "--valid",
                             str(toy / "val.csv"), "--run", run, "--epochs", "1", "--max-steps", "4",
                             "--seed", "2", "--maps", "8", "--embedding-dim", "8")
    assert code == 0 and "step=4" in out and "best_macro_f1=" in out, err
    code, out, _ = run_cli(capsys, "classify", run, "great film", "awful plot")
    assert code == 0 and len(out.splitlines()) == 2 and set(out.split()) <= set(CLASSES)
    code, out, _ = run_cli(capsys, "classify", run, "--json", "great film")
    record = json.loads(out)
    assert record["text"] == "great film" and set(record["probs"]) == set(CLASSES)
    assert record["label"] == max(record["probs"], key=record["probs"].get)
    (tmp_path / "in.txt").write_text("great film\r\nawful\nthe plot\n")
    code, out, _ = run_cli(capsys, "classify", run, "--input", str(tmp_path / "in.txt"))
    assert code == 0 and len(out.splitlines()) == 3
    code, out, _ = run_cli(capsys, "evaluate", "classify", run, "--data", str(toy / "val.csv"), "--plot",
                           str(tmp_path / "cm.png"))
    assert code == 0 and out.startswith("accuracy ") and "macro-F1" in out and "confusion" in out
    assert (tmp_path / "cm.png").stat().st_size > 1000
    code, out, _ = run_cli(capsys, "train", "cnn-sentiment", "--run", run, "--resume", "--max-steps", "6")
    assert code == 0 and "step=6" in out

    (tmp_path / "gap.txt").write_text("great\n\nawful\n")
    one_line_error(run_cli(capsys, "classify", run, "--input", str(tmp_path / "gap.txt")),
                   "gap.txt line 2: the text is empty")
    one_line_error(run_cli(capsys, "classify", run), "give the texts as arguments or with --input")
    (tmp_path / "bad.csv").write_text("label,text\nmixed,so so\n")
    one_line_error(run_cli(capsys, "evaluate", "classify", run, "--data", str(tmp_path / "bad.csv")),
                   "bad.csv line 2: label 'mixed' is not one of the classes")
    (tmp_path / "cols.csv").write_text("y,x\npositive,great\n")
    one_line_error(run_cli(capsys, "train", "cnn-sentiment", "--train", str(tmp_path / "cols.csv"), "--run",
                           str(tmp_path / "r2")), "no column 'label', 'text'")
    one_line_error(run_cli(capsys, "train", "cnn-sentiment", "--run", str(tmp_path / "r3")),
                   "train is required")
    one_line_error(run_cli(capsys, "classify", str(tmp_path / "nowhere"), "x"), "not a seqkit run directory")


def fake_imdb(root: Path) -> None:
    """An aclImdb tree: 20 reviews per class and split, HTML breaks, and unlabelled reviews."""
    for split in ("train", "test"):
        for label in ("pos", "neg", *(["unsup"] if split == "train" else [])):
            (root / "aclImdb" / split / label).mkdir(parents=True)
            for i in range(20):
                (root / "aclImdb" / split / label / f"{i}_7.txt").write_text(f"{label} review {i}<br />ok")


def test_imdb_recipe_from_a_folder_or_the_archive(tmp_path) -> None:
    fake_imdb(tmp_path / "src")
    paths = imdb.prepare(tmp_path / "out", from_file=tmp_path / "src")
    rows = {k: list(csv.reader(io.StringIO(p.read_text()))) for k, p in paths.items()}
    assert [len(r) - 1 for r in rows.values()] == [36, 4, 40]  # a tenth of train is held out
    assert rows["train"][0] == ["label", "text"] and {r[0] for r in rows["test"][1:]} == {"pos", "neg"}
    assert all("<br" not in r[1] and "unsup" not in r[1] for r in rows["train"][1:])
    with tarfile.open(tmp_path / "a.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "aclImdb", arcname="aclImdb")
    assert imdb.reviews_from_tar(tmp_path / "a.tar.gz") == imdb.reviews_from_folder(tmp_path / "src")
    with pytest.raises(DataError, match=imdb.SHA256):
        imdb.prepare(tmp_path / "out2", from_file=tmp_path / "a.tar.gz")
    assert imdb.URL == "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"

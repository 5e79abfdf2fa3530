"""Shared fixtures: small real text (a slice of the embedded Shakespeare) and tiny, fast configs."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from seqkit.config import CharRNNConfig  # noqa: E402
from seqkit.data.embedded import embedded_text  # noqa: E402


@pytest.fixture(scope="session")
def shakespeare_slice() -> str:
    """60,000 characters of real text from the corpus the package ships."""
    return embedded_text()[200_000:260_000]


@pytest.fixture
def text_file(tmp_path: Path, shakespeare_slice: str) -> Path:
    path = tmp_path / "text.txt"
    path.write_text(shakespeare_slice, encoding="utf-8")
    return path


@pytest.fixture
def tiny_cfg(tmp_path: Path, text_file: Path):
    """A factory of small char-rnn configs that train in a second or two."""

    def make(**overrides) -> CharRNNConfig:
        values = dict(run=str(tmp_path / "run"), data=str(text_file), cell="lstm", units=32,
                      embedding_dim=16, batch_size=8, seq_len=20, max_steps=20, eval_every=10, log_every=1,
                      eval_batch_size=16, learning_rate=5e-3, seed=1)
        return CharRNNConfig(**(values | overrides))

    return make


# Tiny trained runs of each kind, trained once per test session and shared by the tests of the ways to
# use a run (export, serve, score, plot). Tests must not write into them.
TOY_WORDS = {"uno": "one", "dos": "two", "tres": "three", "gato": "cat", "perro": "dog", "casa": "house",
             "rojo": "red", "verde": "green", "grande": "big", "come": "eats", "ve": "sees", "el": "the"}


@pytest.fixture(scope="session")
def toy_parallel(tmp_path_factory) -> dict[str, Path]:
    """A word-for-word Spanish-English toy corpus a tiny model learns in a hundred steps."""
    import numpy as np

    rng = np.random.default_rng(0)
    es = list(TOY_WORDS)
    pairs = [[es[i] for i in rng.integers(0, len(es), rng.integers(2, 6))] for _ in range(400)]
    d = tmp_path_factory.mktemp("toy_parallel")
    files = {}
    for name, lines in (("train.es", pairs[:360]), ("valid.es", pairs[360:])):
        files[name] = d / name
        files[name].write_text("".join(" ".join(p) + "\n" for p in lines), encoding="utf-8")
        en = name.replace(".es", ".en")
        files[en] = d / en
        english = ("".join(" ".join(TOY_WORDS[w] for w in p) + "\n" for p in lines))
        files[en].write_text(english, encoding="utf-8")
    return files


# The session's NMT runs (they are never written into): a translator loaded from one of them (or from an
# ensemble of them) is the same each time, so it is loaded once a session, and the searches compiled on its
# models (seqkit.inference.translator.compiled_search, one per option set) are reused by every later test.
SHARED_NMT_RUNS: set[str] = set()


@pytest.fixture(scope="session")
def shared_runs_load_once():
    """From the first session NMT run on, load_translator caches the loads of session runs only (every
    other run, as one in a test's tmp_path, loads anew)."""
    from seqkit import api
    from seqkit.inference import translator

    real, loaded = translator.load_translator, {}

    def load(runs, which: str = "best"):
        names = (runs,) if isinstance(runs, (str, Path)) else tuple(runs)
        key = (tuple(str(Path(r)) for r in names), which)
        if not set(key[0]) <= SHARED_NMT_RUNS:
            return real(runs, which)
        return loaded[key] if key in loaded else loaded.setdefault(key, real(runs, which))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(translator, "load_translator", load)
        patch.setattr(api, "load_translator", load)
        yield


def _train_nmt_run(path: Path, data: dict[str, Path], **overrides) -> Path:
    from seqkit.config import NMTConfig
    from seqkit.training.nmt_task import train_nmt

    values = dict(run=str(path), src=str(data["train.es"]), tgt=str(data["train.en"]),
                  valid_src=str(data["valid.es"]), valid_tgt=str(data["valid.en"]), vocab_type="word",
                  units=32, embedding_dim=16, batch_tokens=300, eval_every=60, max_steps=120,
                  learning_rate=0.01, dropout=0.0, label_smoothing=0.0, seed=1, eval_beam=3)
    train_nmt(NMTConfig(**(values | overrides)))
    SHARED_NMT_RUNS.add(str(path))
    return path


@pytest.fixture(scope="session")
def nmt_run(toy_parallel, tmp_path_factory, shared_runs_load_once) -> Path:
    """A tiny attentional NMT run with a word vocabulary that has learnt the toy mapping."""
    return _train_nmt_run(tmp_path_factory.mktemp("runs") / "nmt", toy_parallel)


@pytest.fixture(scope="session")
def nmt_sp_run(toy_parallel, tmp_path_factory, shared_runs_load_once) -> Path:
    """A shorter-trained one with a joint sentencepiece unigram vocabulary (for the in-graph tokenizer of
    exports: it need not translate well)."""
    return _train_nmt_run(tmp_path_factory.mktemp("runs") / "nmt_sp", toy_parallel, vocab_type="unigram",
                          vocab_size=40, max_steps=60, eval_every=60)


@pytest.fixture(scope="session")
def char_run(tmp_path_factory, shakespeare_slice) -> Path:
    """A tiny LSTM character LM on the Shakespeare slice."""
    from seqkit.training.char_lm_task import train_char_rnn

    d = tmp_path_factory.mktemp("char_run")
    (d / "text.txt").write_text(shakespeare_slice, encoding="utf-8")
    cfg = CharRNNConfig(run=str(d / "run"), data=str(d / "text.txt"), cell="lstm", units=32, embedding_dim=16,
                        batch_size=8, seq_len=20, max_steps=30, eval_every=15, log_every=5,
                        eval_batch_size=16, learning_rate=5e-3, seed=1)
    train_char_rnn(cfg)
    return d / "run"


@pytest.fixture(scope="session")
def classifier_run(tmp_path_factory) -> Path:
    """A tiny Kim CNN on two classes told apart by one cue word."""
    import random

    from seqkit.config import CNNSentimentConfig
    from seqkit.training.classifier_task import train_cnn_sentiment

    rng = random.Random(1)
    filler = ["the", "a", "movie", "film", "was", "it", "plot", "actor", "today", "and"]
    cues = {"positive": ["great", "love", "excellent"], "negative": ["awful", "hate", "boring"]}
    d = tmp_path_factory.mktemp("classifier_run")
    for name, n in (("train.csv", 240), ("val.csv", 60)):
        rows = ["label,text"]
        for i in range(n):
            label = ("positive", "negative")[i % 2]
            words = rng.choices(filler, k=rng.randint(3, 10))
            words.insert(rng.randrange(len(words) + 1), rng.choice(cues[label]))
            rows.append(f"{label},{' '.join(words)}")
        (d / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = CNNSentimentConfig(run=str(d / "run"), train=str(d / "train.csv"), valid=str(d / "val.csv"),
                             maps=16, embedding_dim=16, widths="2,3", batch_size=32, learning_rate=2e-2,
                             epochs=4, min_steps=0, word2vec=0, log_every=1, seed=1)
    train_cnn_sentiment(cfg)
    return d / "run"

"""Word vectors round-trip through every format; word2vec trains reproducibly; `seqkit embed train` works."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from test_cli import one_line_error, run_cli

from seqkit.embeddings.vectors import FORMATS, detect_format, load_vectors, save_vectors
from seqkit.embeddings.word2vec import Word2VecOptions, train_word2vec
from seqkit.errors import ConfigError, DataError

SMALL = Word2VecOptions(dim=12, min_count=2, epochs=2, seed=5)


@pytest.fixture(scope="module")
def tiny() -> KeyedVectors:
    kv = KeyedVectors(5)
    rng = np.random.default_rng(0)
    kv.add_vectors(["king", "queen", "café", "naïve", "x"], rng.normal(size=(5, 5)).astype(np.float32))
    return kv


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_every_format_round_trips(tiny, tmp_path: Path, fmt: str) -> None:
    path = save_vectors(tiny, tmp_path / f"v.{fmt}", fmt)
    assert detect_format(path) == fmt
    for loaded in (load_vectors(path), load_vectors(path, fmt)):
        assert loaded.index_to_key == tiny.index_to_key
        np.testing.assert_array_equal(loaded.vectors, tiny.vectors)  # text formats keep every float32 digit


def test_unreadable_vectors_raise_data_error(tiny, tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("hello world\nthis is prose\n")
    (tmp_path / "empty.vec").write_text("")
    (tmp_path / "short.vec").write_text("3 5\nking 1 2\n")
    for path, message in [("words.txt", "not a word-vectors file"), ("empty.vec", "empty"),
                          ("missing.vec", "no such vectors file"), ("short.vec", "cannot read it")]:
        with pytest.raises(DataError, match=message):
            load_vectors(tmp_path / path)
    with pytest.raises(DataError, match="unknown vectors format 'fasttext'"):
        load_vectors(tmp_path / "words.txt", "fasttext")
    with pytest.raises(DataError, match="unknown vectors format"):
        save_vectors(tiny, tmp_path / "out.vec", "auto")


def test_word2vec_is_reproducible_from_its_seed(text_file: Path) -> None:
    a, b = train_word2vec(text_file, SMALL, progress=False), train_word2vec(text_file, SMALL, progress=False)
    c = train_word2vec(text_file, replace(SMALL, seed=6), progress=False)
    assert a.index_to_key == b.index_to_key and len(a) > 500 and a.vector_size == 12
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert not np.array_equal(a.vectors, c.vectors)
    assert all(t == t.lower() for t in a.index_to_key)


def test_word2vec_defaults_to_the_embedded_corpus() -> None:
    kv = train_word2vec(options=Word2VecOptions(dim=4, epochs=1, min_count=200), progress=False)
    assert "king" in kv and "romeo" in kv and kv.vector_size == 4


def test_word2vec_bad_corpora(tmp_path: Path, text_file: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes(b"good words here\nna\xefve words\n")
    with pytest.raises(DataError, match=r"byte 18 \(line 2\) is not valid UTF-8"):
        train_word2vec(tmp_path / "latin1.txt", SMALL, progress=False)
    (tmp_path / "rare.txt").write_text("every word here is unique\n")
    with pytest.raises(DataError, match="no word occurs 2 times"):
        train_word2vec(tmp_path / "rare.txt", SMALL, progress=False)
    with pytest.raises(ConfigError, match="dim must be at least 1"):
        train_word2vec(text_file, Word2VecOptions(dim=0), progress=False)


def test_cli_embed_train_then_wmd(tmp_path: Path, text_file: Path, capsys) -> None:
    out = tmp_path / "vectors.bin"
    code, stdout, _ = run_cli(capsys, "embed", "train", "--corpus", str(text_file), "--out", str(out),
                              "--dim", "16", "--seed", "3", "--min-count", "3", "--epochs", "1")
    assert code == 0 and stdout.startswith(f"{out}: ") and "x 16 dims (word2vec-bin)" in stdout
    assert load_vectors(out).vector_size == 16
    code, stdout, _ = run_cli(capsys, "wmd", "--vectors", str(out), "the king is here", "a queen was there")
    assert code == 0 and 0 < float(stdout) < 2
    (tmp_path / "bad.txt").write_bytes(b"\xff\xff")  # (\xff\xfe would be a UTF-16 mark)
    one_line_error(*run_cli(capsys, "embed", "train", "--corpus", str(tmp_path / "bad.txt"), "--out",
                            str(out))[::2], "not valid UTF-8")
    one_line_error(*run_cli(capsys, "embed", "train", "--corpus", str(tmp_path / "nowhere.txt"), "--out",
                            str(out))[::2], "no such file")

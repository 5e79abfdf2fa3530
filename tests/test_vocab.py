"""The word vocabulary: specials first, min_count, max_size, unknown words, the file in the run."""

from __future__ import annotations

import pytest

from seqkit.data.vocab import SPECIALS, Vocab
from seqkit.errors import DataError

TEXTS = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat"], ["a"]]


def test_specials_come_first_then_words_by_count_ties_alphabetical() -> None:
    v = Vocab.build(TEXTS)
    assert SPECIALS == ("<pad>", "<unk>", "<s>", "</s>")
    assert v.tokens == [*SPECIALS, "the", "cat", "sat", "a", "dog"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)


def test_min_count_and_max_size() -> None:
    assert Vocab.build(TEXTS, min_count=2).tokens[4:] == ["the", "cat", "sat"]
    assert Vocab.build(TEXTS, max_size=6).tokens == [*SPECIALS, "the", "cat"]  # specials count
    assert len(Vocab.build(TEXTS, max_size=4)) == 4
    assert Vocab.build([["<unk>", "<pad>", "x"]]).tokens == [*SPECIALS, "x"]  # specials are not words


def test_encode_maps_unknown_words_and_decode_inverts() -> None:
    v = Vocab.build(TEXTS, min_count=2)
    ids = v.encode(["the", "zebra", "cat"])
    assert ids.tolist() == [4, v.unk_id, 5] and ids.dtype.name == "int32"
    assert v.decode(ids) == ["the", "<unk>", "cat"]
    assert v.encode([]).shape == (0,)


def test_save_and_load(tmp_path) -> None:
    v = Vocab.build([["héllo", "wörld", "#tag", ":)", "don't"]])
    v.save(tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_text("utf-8").splitlines()[:2] == ["<pad>", "<unk>"]
    assert Vocab.load(tmp_path / "vocab.txt").tokens == v.tokens
    (tmp_path / "bad.txt").write_text("a\nb\n")
    with pytest.raises(DataError, match="must start with <pad> <unk> <s> </s>"):
        Vocab.load(tmp_path / "bad.txt")

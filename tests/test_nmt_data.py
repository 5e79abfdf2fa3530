"""Parallel corpora, vocabularies (word and sentencepiece), token batches and BLEU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqkit.data.parallel import PairBatches, length_filter, read_parallel
from seqkit.data.subword import build_codec, load_codec
from seqkit.data.text import split_lines
from seqkit.data.vocab import Vocab
from seqkit.errors import DataError
from seqkit.metrics.bleu import corpus_scores, score_files


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_mismatched_line_counts_name_both(tmp_path) -> None:
    src, tgt = write(tmp_path / "a.es", ["uno", "dos", "tres"]), write(tmp_path / "a.en", ["one", "two"])
    with pytest.raises(DataError, match=r"a\.es has 3 lines but .*a\.en has 2"):
        read_parallel(src, tgt)


def test_empty_pairs_are_skipped_and_counted(tmp_path) -> None:
    src = write(tmp_path / "s", ["uno", "  ", "tres", "cuatro"])
    tgt = write(tmp_path / "t", ["one", "two", "", "four"])
    data = read_parallel(src, tgt)
    assert data.src == ["uno", "cuatro"] and data.tgt == ["one", "four"] and data.skipped == 2


def test_lines_split_on_newline_only() -> None:
    assert split_lines("a\u2028b\r\nc\n") == ["a\u2028b", "c"]


def test_length_and_ratio_filters() -> None:
    ids = [np.ones(n, np.int32) for n in (1, 3, 10, 4)]
    tgt = [np.ones(n, np.int32) for n in (1, 9, 10, 0)]
    assert length_filter(ids, tgt, 0, 0).tolist() == [0, 1, 2]
    assert length_filter(ids, tgt, 9, 0).tolist() == [0, 1]
    assert length_filter(ids, tgt, 0, 2.0).tolist() == [0, 2]


def test_token_batches_respect_the_budget_cover_the_data_and_resume() -> None:
    rng = np.random.default_rng(0)
    src = [rng.integers(4, 50, rng.integers(1, 30)).astype(np.int32) for _ in range(500)]
    tgt = [rng.integers(4, 50, rng.integers(1, 30)).astype(np.int32) for _ in range(500)]
    stream = PairBatches(src, tgt, batch_tokens=200, batch_size=0, seed=3)
    seen = []
    for _ in range(stream.steps_per_epoch):
        s, t_in, t_out = next(stream)
        assert max(s.size, t_in.size) <= 200 or len(s) == 1
        assert (t_in[:, 0] == Vocab.bos_id).all() and ((t_out == Vocab.eos_id).sum(1) == 1).all()
        seen += [tuple(row[row > 0]) for row in s]
    assert sorted(seen) == sorted(tuple(x) for x in src)
    epoch, index = stream.epoch, stream.index
    expected = [next(stream)[0] for _ in range(3)]
    again = PairBatches(src, tgt, 200, 0, 3)
    again.epoch, again.index = epoch, index
    for e in expected:
        np.testing.assert_array_equal(next(again)[0], e)
    fixed = PairBatches(src, tgt, 0, 16, 3)
    assert len(next(fixed)[0]) == 16


@pytest.mark.parametrize("kind", ["word", "bpe", "unigram"])
def test_vocabularies_round_trip_with_seqkit_specials(tmp_path, kind) -> None:
    texts = ["the cat sat on the mat", "a dog sat on a log", "the dog and the cat"] * 20
    codec = build_codec(texts, kind, 40)
    path = codec.save(tmp_path / ("v.model" if kind != "word" else "v.vocab"))
    again = load_codec(path)
    ids = again.encode("the cat sat")
    assert len(again) == len(codec) and (ids >= 4).all()
    assert again.decode([Vocab.bos_id, *ids, Vocab.eos_id, Vocab.pad_id]) == "the cat sat"
    assert again.pieces(ids)


def test_bleu_equals_sacrebleu_with_two_references(tmp_path) -> None:
    import sacrebleu

    hyps = ["the cat is on the mat", "there is a dog here"]
    refs = [["the cat sat on the mat", "a dog is here"], ["there is a cat on the mat", "here is a dog"]]
    ours = corpus_scores(hyps, refs)
    assert ours["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, refs).score)
    assert ours["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, refs).score)
    assert "nrefs:2" in ours["bleu_signature"]
    files = [write(tmp_path / f"r{i}", r) for i, r in enumerate(refs)]
    assert score_files(write(tmp_path / "h", hyps), files)["bleu"] == pytest.approx(ours["bleu"])
    with pytest.raises(DataError, match="reference 1 has 2 lines but the hypotheses have 1"):
        corpus_scores(hyps[:1], refs)


def test_iwslt15_recipe_from_a_folder(tmp_path, capsys) -> None:
    from seqkit.cli.main import main
    from seqkit.data_prep import iwslt15

    src = tmp_path / "files"
    src.mkdir()
    for name in iwslt15.FILES:
        write(src / name, ["a b", "c"] if not name.startswith("vocab") else ["<unk>", "a"])
    assert main(["data", "fetch", "iwslt15", "--from", str(src), "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(f"{s}.{lang}" for s in ("train", "dev", "test", "vocab")
                             for lang in ("en", "vi"))
    (src / "tst2013.vi").write_text("only one line\n")
    assert main(["data", "fetch", "iwslt15", "--from", str(src), "--out", str(tmp_path / "o2")]) == 2
    assert "has 2 lines but" in capsys.readouterr().err


def test_parallel_recipe_cleans_and_splits(tmp_path, capsys) -> None:
    from seqkit.cli.main import main

    src = write(tmp_path / "c.es", [f"frase  {i} " if i != 7 else "" for i in range(400)])
    tgt = write(tmp_path / "c.en", [f"sentence {i}" for i in range(400)])
    out = tmp_path / "out"
    assert main(["data", "fetch", "parallel", "--src", str(src), "--tgt", str(tgt), "--out", str(out)]) == 0
    dev = read_parallel(out / "dev.es", out / "dev.en")
    train = read_parallel(out / "train.es", out / "train.en")
    assert len(dev) == 3 and len(train) == 393 and dev.src[0].split()[1] == dev.tgt[0].split()[1]
    assert train.src[0] == "frase 0"
    assert main(["data", "fetch", "text8", "--src", str(src)]) == 2
    assert "belong to the parallel recipe" in capsys.readouterr().err

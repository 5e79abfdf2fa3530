"""NMT end to end through the command line: vocab build, train nmt, translate (from the run directory
alone), average, evaluate bleu, and the user errors (one line, exit 2)."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from seqkit import api
from seqkit.cli.main import main

TINY = ["--units", "32", "--embedding-dim", "16", "--batch-tokens", "300", "--eval-every", "60",
        "--learning-rate", "0.01", "--dropout", "0", "--label-smoothing", "0", "--seed", "1",
        "--eval-beam", "3"]


def run_cli(capsys, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")))
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out = capsys.readouterr()
    return code, out.out, out.err


def write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def corpus(toy_parallel) -> dict[str, str]:
    """The session's word-for-word toy corpus (tests/conftest.py) as paths and validation lines."""
    paths = {"src": "train.es", "tgt": "train.en", "valid_src": "valid.es", "valid_tgt": "valid.en"}
    corpus = {key: str(toy_parallel[name]) for key, name in paths.items()}
    return corpus | {"valid_lines": toy_parallel["valid.es"].read_text().splitlines(),
                     "valid_refs": toy_parallel["valid.en"].read_text().splitlines()}


@pytest.fixture(scope="module")
def trained(nmt_run) -> str:
    """The session's tiny NMT run (tests/conftest.py): TINY's settings, 120 steps on the same corpus."""
    return str(nmt_run)


def test_train_translate_score(trained, corpus, tmp_path, capsys) -> None:
    lines = corpus["valid_lines"][:6]
    code, out, err = run_cli(capsys, "translate", trained, "--beam", "3",
                             stdin="\n".join([lines[0], "", *lines[1:]]) + "\n")
    assert code == 0, err
    outs = out.split("\n")[:-1]
    assert len(outs) == 7 and outs[1] == ""
    hyp = write(tmp_path / "hyp", [outs[0], *outs[2:]])
    ref = write(tmp_path / "ref", corpus["valid_refs"][:6])
    code, out, err = run_cli(capsys, "evaluate", "bleu", "--ref", ref, "--ref", ref, hyp)
    assert code == 0 and "nrefs:2" in out and "chrF" in out
    bleu = float(out.split()[2])
    assert bleu > 30, out  # the model has learnt the word mapping
    inp = write(tmp_path / "in", lines)
    code, greedy, _ = run_cli(capsys, "translate", trained, "--beam", "1", "--input", inp)
    assert code == 0 and len(greedy.split("\n")) == 7
    code, nbest, _ = run_cli(capsys, "translate", trained, "--beam", "4", "--nbest", "3", "--input", inp)
    rows = [line.split(" ||| ") for line in nbest.strip().split("\n")]
    assert code == 0 and len(rows) == 18 and [int(r[0]) for r in rows[:3]] == [0, 0, 0]
    assert [float(r[2]) for r in rows[:3]] == sorted([float(r[2]) for r in rows[:3]], reverse=True)
    # The Python API gives what the command line prints, and its BLEU is the one `evaluate bleu` printed.
    assert api.translate(trained, lines, beam=1) == greedy.split("\n")[:-1]
    hyps = api.translate(trained, corpus["valid_lines"][:6], beam=3)
    assert api.bleu(hyps, [corpus["valid_refs"][:6]])["bleu"] == pytest.approx(bleu, abs=0.01)


def test_run_directory_alone_average_ensemble_and_alignments(trained, corpus, tmp_path, capsys) -> None:
    alone = shutil.copytree(trained, tmp_path / "moved")  # nothing but the run directory
    code, out, err = run_cli(capsys, "average", str(alone))
    assert code == 0 and "average of steps" in out, err
    inp = write(tmp_path / "in", corpus["valid_lines"][:3])
    single = run_cli(capsys, "translate", str(alone), "--checkpoint", "average", "--input", inp)[1]
    png = tmp_path / "align.png"
    code, out, err = run_cli(capsys, "translate", str(alone), str(alone), "--checkpoint", "average",
                             "--input", inp, "--alignments", str(png), "--align-lines", "1,2")
    assert code == 0, err
    assert out == single and len(out.split("\n")) == 4 and png.stat().st_size > 1000
    assert np.load(f"{png}.npz")["line1"].shape[1] == len(corpus["valid_lines"][0].split())


def test_transformer_preset_learns_and_translates(corpus, tmp_path, capsys) -> None:
    run = tmp_path / "transformer"
    args = ["train", "nmt", "--model", "transformer", "--src", corpus["src"], "--tgt", corpus["tgt"],
            "--valid-src", corpus["valid_src"], "--valid-tgt", corpus["valid_tgt"], "--run", str(run),
            "--vocab-type", "word", "--model-dim", "32", "--heads", "2", "--ff-dim", "64", "--layers", "1",
            "--batch-tokens", "300", "--eval-every", "140", "--learning-rate", "0.005",
            "--warmup-steps", "30",
            "--dropout", "0", "--label-smoothing", "0", "--seed", "1", "--eval-beam", "3"]
    # One layer each side (tracing, not the steps, is what costs): its validation BLEU is 98-100 from
    # step 110 on (0 at step 20, 60 at step 60).
    code, out, err = run_cli(capsys, *args, "--max-steps", "140")
    assert code == 0, err
    assert float(out.split("bleu=")[1].split()[0]) > 90, out  # the word mapping, learnt
    saved = (run / "config.yaml").read_text()
    for setting in ("encoder: transformer", "tie_embeddings: true", "schedule: inverse-sqrt"):
        assert setting in saved
    hyps = api.translate(str(run), corpus["valid_lines"][:10], beam=3)
    assert sum(h == r for h, r in zip(hyps, corpus["valid_refs"][:10])) >= 9


def test_vocab_build(corpus, tmp_path, capsys) -> None:
    code, out, _ = run_cli(capsys, "vocab", "build", "--input", corpus["src"], "--input", corpus["tgt"],
                           "--type", "word", "--size", "100", "--out", str(tmp_path / "joint"))
    assert code == 0 and (tmp_path / "joint.vocab").read_text().split("\n")[:4] == ["<pad>", "<unk>", "<s>",
                                                                                    "</s>"]
    code, out, _ = run_cli(capsys, "vocab", "build", "--input", corpus["src"], "--type", "unigram", "--size",
                           "30", "--out", str(tmp_path / "es"))
    assert code == 0 and (tmp_path / "es.model").exists()


def test_train_with_sentencepiece_held_out_validation_and_resume(corpus, tmp_path, capsys) -> None:
    run = str(tmp_path / "run")
    args = ["train", "nmt", "--src", corpus["src"], "--tgt", corpus["tgt"], "--run", run, "--vocab-size",
            "40", "--attention", "bahdanau", "--valid-size", "20", "--eval-every", "4", "--eval-beam", "1",
            *TINY[:-4]]
    # One step, then resumed for one more: each training's step is traced once (a second batch shape
    # would trace it again), and what is checked is the vocabularies, the held-out split and the resume.
    code, out, err = run_cli(capsys, *args, "--max-steps", "1")
    assert code == 0 and "bleu=" in out, err
    assert (Path(run) / "src.model").exists() and (Path(run) / "tgt.model").exists()
    code, out, err = run_cli(capsys, "train", "nmt", "--run", run, "--resume", "--max-steps", "2")
    assert code == 0 and "step=2" in out, err
    code, out, err = run_cli(capsys, "translate", run, "--beam", "2", stdin="gato rojo\n")
    assert code == 0 and len(out.split("\n")) == 2, err


@pytest.mark.parametrize("argv, pattern", [
    (["train", "nmt", "--src", "{src}", "--tgt", "{short}"], r"has 360 lines but .* has 2"),
    (["train", "nmt", "--tgt", "{tgt}"], "give the training data"),
    (["train", "nmt", "--src", "{src}", "--tgt", "{tgt}", "--attention", "luong-concat", "--scaled"],
     "scaled applies"),
    (["translate", "{missing}"], "not a seqkit run directory"),
    (["translate", "{run}", "--beam", "2", "--nbest", "3"], r"nbest must be in \[1, beam width 2\]"),
    (["evaluate", "bleu", "--ref", "{short}", "{tgt}"], "reference 1 has 2 lines"),
    (["vocab", "build", "--input", "{missing}", "--out", "{missing}"], "no such file"),
])
def test_user_errors_are_one_line_exit_2(argv, pattern, corpus, trained, tmp_path, capsys) -> None:
    import re

    names = corpus | {"short": write(tmp_path / "short", ["a", "b"]), "missing": str(tmp_path / "nope"),
                      "run": trained}
    code, _, err = run_cli(capsys, *[a.format(**names) for a in argv], stdin="uno\n")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert re.search(pattern, err), err


def test_translate_through_the_engine_sample_limits_output_path(trained, corpus, tmp_path, capsys) -> None:
    """--sample draws (same seed, same draws), --no-repeat-ngram blocks, a huge line is cut with a warning
    that names it and still gets its output line, and a bad --output fails before any translating."""
    lines = corpus["valid_lines"][:8]
    inp = write(tmp_path / "in", lines)
    draws = [run_cli(capsys, "translate", trained, "--input", inp, "--sample", "--temperature", "3", "--seed",
                     seed)[1] for seed in "112"]
    assert draws[0] == draws[1] != draws[2] and len(draws[0].split("\n")) == 9
    code, out, _ = run_cli(capsys, "translate", trained, "--input", inp, "--beam", "3", "--no-repeat-ngram",
                           "1")
    assert code == 0 and all(len(set(o.split())) == len(o.split()) for o in out.split("\n"))
    huge = write(tmp_path / "huge", ["uno dos", " ".join(["gato"] * 3000), "perro"])
    code, out, err = run_cli(capsys, "translate", trained, "--input", huge, "--beam", "2", "--max-source",
                             "50")
    assert code == 0 and len(out.split("\n")) == 4 and "input line 2 has 3000 tokens" in err, err
    missing = str(tmp_path / "no/out")
    code, out, err = run_cli(capsys, "translate", trained, "--input", inp, "--output", missing)
    assert code == 2 and "does not exist" in err and out == "" and err.count("\n") == 1
    code, _, _ = run_cli(capsys, "translate", trained, "--input", inp, "--output", str(tmp_path / "out.txt"))
    assert code == 0 and len((tmp_path / "out.txt").read_text().split("\n")) == 9


def test_export_h5_of_an_nmt_run_and_exact_stop(trained, corpus, tmp_path, capsys) -> None:
    code, out, err = run_cli(capsys, "export", trained, "--h5", str(tmp_path / "w.h5"))
    assert code == 0 and (tmp_path / "w.h5").stat().st_size > 1000, err
    lines = corpus["valid_lines"][:10]
    early = api.translate(trained, lines, beam=4)
    exact = api.translate(trained, lines, beam=4, stop="exact")
    assert sum(a == b for a, b in zip(early, exact)) >= 8  # the standard rule rarely changes the answer

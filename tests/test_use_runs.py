"""Using trained runs: line-at-a-time translate and classify, scoring given translations, evaluate nmt,
and training curves (tiny session runs from conftest.py; nothing is written into them)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from test_cli import one_line_error
from test_nmt_cli import run_cli, write

from seqkit import api
from seqkit.data.parallel import target_io
from seqkit.decoding.options import DecodeOptions
from seqkit.inference.ensemble import Ensemble
from seqkit.inference.scorer import score_lines
from seqkit.inference.translator import load_translator
from seqkit.metrics.curves import collect, draw, run_labels

SOURCES = ["uno dos gato", "el perro come casa", "verde", "tres rojo grande ve el gato dos"]
TARGETS = ["one two cat", "the dog eats house", "green", "three red big sees the cat two"]


@pytest.fixture(scope="module", autouse=True)
def load_once():
    """The in-process command lines of this module load each run once, so that its search and scorer
    compile once too (a new load is a new model, traced anew); the subprocesses load their own."""
    from seqkit.inference import translator

    real, loaded = translator.load_translator, {}

    def load(runs, which: str = "best"):
        key = (str(runs) if isinstance(runs, (str, Path)) else tuple(map(str, runs)), which)
        return loaded[key] if key in loaded else loaded.setdefault(key, real(runs, which))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(translator, "load_translator", load)
        patch.setattr(api, "load_translator", load)
        yield


# --- a line in, a line out, at once -------------------------------------------------------------------
class LineProcess:
    """`seqkit ARGV` in a process of its own, its stdin held open: `ask` writes a line and waits for one
    output line, so an answer that waited for the end of input would time out instead of arriving."""

    def __init__(self, argv: list[str], stderr: Path) -> None:
        self.stderr = stderr
        with open(stderr, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "seqkit", *argv], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err, text=True,
                                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        self.lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout])
        reader.daemon = True
        reader.start()

    def ask(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        try:
            return self.lines.get(timeout=180).removesuffix("\n")
        except queue.Empty:
            pytest.fail(f"no answer to {line!r} while stdin is open; stderr: {self.stderr.read_text()}")

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def test_translate_and_classify_answer_each_line_as_it_arrives(nmt_run, classifier_run, tmp_path,
                                                               capsys) -> None:
    texts = ["i love the movie", "awful plot"]
    # Both start at once (their TensorFlow imports overlap); the batch outputs are computed meanwhile.
    translate = LineProcess(["translate", str(nmt_run), "--beam", "3", "-"], tmp_path / "translate.err")
    classify = LineProcess(["classify", str(classifier_run), "-"], tmp_path / "classify.err")
    try:
        code, translations, _ = run_cli(capsys, "translate", str(nmt_run), "--beam", "3",
                                        stdin="".join(s + "\n" for s in SOURCES[:2]))
        assert code == 0 and translations.splitlines() == TARGETS[:2]
        code, labels, _ = run_cli(capsys, "classify", str(classifier_run), *texts)
        assert code == 0 and labels.splitlines() == ["positive", "negative"]
        assert [translate.ask(line) for line in SOURCES[:2]] == TARGETS[:2]
        assert [classify.ask(text) for text in texts] == labels.splitlines()
        assert translate.close() == 0 and classify.close() == 0
    finally:
        translate.proc.kill()
        classify.proc.kill()


def test_streamed_input_answers_as_the_batch_does(nmt_run, classifier_run, tmp_path, capsys) -> None:
    stdin = "".join(s + "\n" for s in SOURCES)
    for flags in (["--beam", "3"], ["--beam", "3", "--nbest", "2"]):  # LINE ||| hypothesis ||| score
        batch = run_cli(capsys, "translate", str(nmt_run), *flags, stdin=stdin)
        assert batch[0] == 0 and run_cli(capsys, "translate", str(nmt_run), *flags, "-", stdin=stdin) == batch
        assert run_cli(capsys, "translate", str(nmt_run), "--input", "-", *flags, stdin=stdin) == batch
    one_line_error(*run_cli(capsys, "translate", str(nmt_run), "-", "--output", str(tmp_path / "o"),
                            stdin="x\n")[::2], "line by line on standard output")
    texts = ["i love the movie", "awful plot"]
    batch = run_cli(capsys, "classify", str(classifier_run), "--json", *texts)[1].splitlines()
    code, out, _ = run_cli(capsys, "classify", str(classifier_run), "--json", "--input", "-",
                           stdin="".join(t + "\n" for t in texts))
    for one, alone in zip(map(json.loads, batch), map(json.loads, out.splitlines()), strict=True):
        assert one["label"] == alone["label"] and one["probs"] == pytest.approx(alone["probs"], abs=1e-5)
    one_line_error(*run_cli(capsys, "classify", str(classifier_run), "-", stdin="good\n\n")[::2],
                   "standard input line 2: the text is empty")


# --- score ------------------------------------------------------------------------------------------
def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64) - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_score_is_the_teacher_forced_log_probability(nmt_run, tmp_path, capsys) -> None:
    translator = load_translator(nmt_run)
    model, scores = translator.ensemble.models[0], api.score(nmt_run, SOURCES, TARGETS)
    for src, tgt, logp, tokens in zip(SOURCES, TARGETS, scores.logp, scores.tokens):
        tgt_in, tgt_out = target_io([translator.tgt.encode(tgt)])
        logits, _ = model(translator.src.encode(src)[None], tgt_in)
        oracle = np.take_along_axis(log_softmax(logits.numpy()), tgt_out[..., None], -1).sum()
        assert logp == pytest.approx(oracle, rel=1e-5) and tokens == len(tgt.split()) + 1  # </s> counted
    assert scores.ppl == pytest.approx(math.exp(-scores.logp.sum() / scores.tokens.sum()))
    assert all(-1 < logp < 0 for logp in scores.logp[:3])  # lengths of the training data: learnt
    # Batching and padding change no score: all in one batch, one at a time, and in pairs.
    alone = [score_lines(translator, [s], [t]).logp[0] for s, t in zip(SOURCES, TARGETS)]
    for batch_size in (None, 2):
        assert score_lines(translator, SOURCES, TARGETS, batch_size).logp == pytest.approx(alone, rel=1e-5)
    # An ensemble of a model with itself scores as the model (the mean of equal log-probabilities).
    twice = dataclasses.replace(translator, ensemble=Ensemble([model, model]))
    assert score_lines(twice, SOURCES, TARGETS).logp == pytest.approx(scores.logp, rel=1e-5)
    # The command line prints LOGP ||| target per pair and the corpus numbers on stderr.
    src, tgt = write(tmp_path / "s", SOURCES), write(tmp_path / "t", TARGETS)
    code, out, err = run_cli(capsys, "score", str(nmt_run), "--src", src, "--tgt", tgt)
    rows = [line.split(" ||| ") for line in out.splitlines()]
    assert code == 0 and [r[1] for r in rows] == TARGETS
    assert [float(r[0]) for r in rows] == pytest.approx(scores.logp, abs=1e-4)
    assert f"sentences 4  tokens {scores.tokens.sum()}" in err and f"ppl {scores.ppl:.4f}" in err


def test_search_scores_are_the_scorer_scores(nmt_run) -> None:
    """Greedy search's score is the logp sum of its output, beam search's that sum over GNMT's length
    penalty ((5 + |Y|) / 6)^alpha: the scorer must give the same sums, for wrong translations too (the
    beam's second best)."""
    translator = load_translator(nmt_run)
    ids = translator.encode_lines(SOURCES)
    greedy = translator.search(ids, DecodeOptions(beam=1))
    beam = translator.search(ids, DecodeOptions(beam=3, nbest=2))  # alpha 0.6, as the other tests compiled
    found = [(src, hyp, score) for src, hyps in zip(SOURCES, greedy) for hyp, score in hyps]
    found += [(src, hyp, score * ((5 + len(hyp) + 1) / 6) ** 0.6)  # |Y| counts </s>
              for src, hyps in zip(SOURCES, beam) for hyp, score in hyps]
    pairs = [(src, translator.tgt.decode(hyp)) for src, hyp, _ in found]
    assert len(found) == 12 and len(set(pairs)) > 4  # second bests (wrong ones) among them
    scores = score_lines(translator, *zip(*pairs))
    assert scores.logp == pytest.approx([score for *_, score in found], rel=1e-4, abs=1e-4)


def test_score_errors_name_the_file_and_line(nmt_run, tmp_path, capsys) -> None:
    src, tgt = write(tmp_path / "s", SOURCES), write(tmp_path / "t", TARGETS[:3])
    one_line_error(*run_cli(capsys, "score", str(nmt_run), "--src", src, "--tgt", tgt)[::2],
                   f"{src} has 4 lines but {tgt} has 3")
    tgt = write(tmp_path / "t2", [TARGETS[0], " ", *TARGETS[2:]])
    one_line_error(*run_cli(capsys, "score", str(nmt_run), "--src", src, "--tgt", tgt)[::2],
                   f"{tgt} line 2 is blank")
    one_line_error(*run_cli(capsys, "score", str(tmp_path), "--src", src, "--tgt", src)[::2],
                   "not a seqkit run directory")


# --- evaluate nmt ------------------------------------------------------------------------------------
def test_evaluate_nmt_is_score_plus_translate_plus_bleu(nmt_run, toy_parallel, tmp_path, capsys) -> None:
    src, ref = str(toy_parallel["valid.es"]), str(toy_parallel["valid.en"])
    hyp = tmp_path / "hyp"
    code, out, err = run_cli(capsys, "evaluate", "nmt", str(nmt_run), "--src", src, "--ref", ref,
                             "--beam", "1", "--json", "--output", str(hyp))
    assert code == 0, err
    s = json.loads(out)
    scored = run_cli(capsys, "score", str(nmt_run), "--src", src, "--tgt", ref)[2]
    assert f"ppl {s['ppl']:.4f}" in scored and s["sentences"] == 40
    translated = run_cli(capsys, "translate", str(nmt_run), "--input", src, "--beam", "1")[1]
    assert hyp.read_text() == translated
    bleu = json.loads(run_cli(capsys, "evaluate", "bleu", "--ref", ref, "--json", str(hyp))[1])
    assert {k: s[k] for k in bleu} == bleu and s["bleu"] > 90
    code, out, _ = run_cli(capsys, "evaluate", "nmt", str(nmt_run), "--src", src, "--ref", ref, "--beam", "1")
    assert code == 0 and out.startswith(f"ppl {s['ppl']:.4f} (40 sentences") and "BLEU signature:" in out
    one_line_error(*run_cli(capsys, "evaluate", "nmt", str(nmt_run), "--src", src, "--ref", ref,
                            "--beam", "3", "--nbest", "2")[::2], "drop --nbest")


# --- plot --------------------------------------------------------------------------------------------
def records(run: Path, split: str, metric: str) -> tuple[list, list]:
    rs = [r for r in map(json.loads, open(run / "metrics.jsonl")) if r["split"] == split and metric in r]
    return [r["step"] for r in rs], [r[metric] for r in rs]


def test_plot_draws_the_metrics_of_each_run(nmt_run, char_run, classifier_run, tmp_path, capsys) -> None:
    png = tmp_path / "curves.png"
    runs = [nmt_run, char_run, classifier_run]
    code, out, err = run_cli(capsys, "plot", *map(str, runs), "--out", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not list(tmp_path.glob(".*.part"))
    series, xlabel = collect(runs)
    panels = list(dict.fromkeys(s.metric for s in series))
    assert panels == ["loss", "bpc", "ppl", "bleu", "chrf", "accuracy", "macro_f1"] and xlabel == "step"
    assert f"{len(panels)} panel(s), 3 run(s)" in out
    by_label = dict(zip(run_labels(runs), runs))
    assert set(by_label) == {"nmt", "char_run0/run", "classifier_run0/run"}  # names shared get their parent's
    for s in series:
        assert (list(s.x), list(s.y)) == records(by_label[s.run], s.split, s.metric)
    fig = draw(series, xlabel)  # the lines drawn hold the series' data, the legend names run and split
    drawn = {(ax.get_ylabel(), line.get_label()): (list(line.get_xdata()), list(line.get_ydata()))
             for ax in fig.axes for line in ax.get_lines()}
    assert drawn == {(s.metric, f"{s.run} {s.split}"): (list(s.x), list(s.y)) for s in series}
    timed, xlabel = collect([nmt_run], x="time", metrics=["bleu"])
    assert xlabel == "time (s)" and timed[0].x[0] >= 0 and list(timed[0].y) == records(nmt_run, "valid",
                                                                                           "bleu")[1]


def test_plot_errors(nmt_run, tmp_path, capsys) -> None:
    out = str(tmp_path / "c.png")
    one_line_error(*run_cli(capsys, "plot", str(tmp_path / "nope"), "--out", out)[::2], "no such run")
    one_line_error(*run_cli(capsys, "plot", str(tmp_path), "--out", out)[::2], "no metrics.jsonl")
    (tmp_path / "metrics.jsonl").write_text("")
    one_line_error(*run_cli(capsys, "plot", str(tmp_path), "--out", out)[::2], "is empty")
    one_line_error(*run_cli(capsys, "plot", str(nmt_run), "--out", out, "--metric", "bpc")[::2],
                   "no run logs bpc; they log")
    assert not Path(out).exists()

"""Faults: SIGTERM (and Ctrl-C) during training leaves a loadable checkpoint; an interrupted translate or
`wmd --pairs` keeps the complete lines done and says how many; a full disk while a checkpoint is written
leaves the previous one intact. The soak test (memory stays flat on long inputs) is marked `soak`."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import one_line_error
from test_nmt_cli import run_cli

from seqkit import checkpoints
from seqkit.checkpoints import CheckpointDir
from seqkit.cli import main as cli_main
from seqkit.cli import translate
from seqkit.inference.sampler import load_generator
from seqkit.inference.translator import Translator

SEQKIT = str(Path(sys.executable).parent / "seqkit")
SMALL = ["--cell", "lstm", "--units", "32", "--embedding-dim", "16", "--batch-size", "8", "--seq-len", "20",
         "--log-every", "1"]


def test_sigterm_during_training_saves_a_checkpoint_that_resumes(text_file, tmp_path) -> None:
    run = tmp_path / "run"
    proc = subprocess.Popen([SEQKIT, "train", "char-lm", "--data", str(text_file), "--run", str(run),
                             "--max-steps", "100000", "--eval-every", "0", *SMALL],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics, deadline = run / "metrics.jsonl", time.time() + 120
    while not (metrics.exists() and metrics.read_text().strip()) and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # as `kill` or a job scheduler stops it
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip().endswith("seqkit train: interrupted"), err[-2000:]
    steps = CheckpointDir(run).steps()
    assert len(steps) == 1 and f"interrupted at step {steps[0]}; saved" in out
    assert len(load_generator(run, "latest").generate("Th", 5)[0]) == 7  # it loads


def test_interrupted_translate_keeps_the_chunks_done(nmt_run, toy_parallel, tmp_path, monkeypatch,
                                                     capsys) -> None:
    from seqkit.inference import translator as translator_module

    loaded = translator_module.load_translator(nmt_run)  # one load (and search compilation) for all runs
    monkeypatch.setattr(translator_module, "load_translator", lambda runs, which="best": loaded)
    lines = toy_parallel["valid.es"].read_text().splitlines()[:6]
    inp = tmp_path / "in.es"
    inp.write_text("\n".join(lines) + "\n")
    expected = run_cli(capsys, "translate", str(nmt_run), "--input", str(inp), "--beam", "2")[1]
    monkeypatch.setattr(translate, "CHUNK_BATCHES", 1)  # chunks of --batch-size 2 lines
    real, calls = Translator.translate, []

    def killed_during_the_second_chunk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # the real signal, handled as the command line handles it
            time.sleep(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Translator, "translate", killed_during_the_second_chunk)
    out_file = tmp_path / "out.en"
    code, out, err = run_cli(capsys, "translate", str(nmt_run), "--input", str(inp), "--beam", "2",
                             "--batch-size", "2", "--output", str(out_file))
    assert code == 130 and out == ""
    assert err == (f"seqkit translate: interrupted; {out_file} holds the translations of the first 2 of 6 "
                   "lines\n")
    assert out_file.read_text() == "".join(expected.splitlines(keepends=True)[:2])
    calls.clear()
    code, out, err = run_cli(capsys, "translate", str(nmt_run), "--input", str(inp), "--beam", "2",
                             "--batch-size", "2")
    assert code == 130 and out == "".join(expected.splitlines(keepends=True)[:2])
    assert "standard output has the translations of the first 2 of 6 lines" in err
    assert signal.getsignal(signal.SIGTERM) is not cli_main.interrupt  # main put the previous one back


def test_interrupted_wmd_pairs_keep_the_distances_printed(tmp_path, monkeypatch, capsys) -> None:
    from seqkit.metrics.wmd import WordMover

    vectors = tmp_path / "vectors.txt"
    vectors.write_text("4 2\ncat 1 0\ndog 0.9 0.1\nsat 0 1\nran 0.1 0.9\n")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat sat\tdog ran\n" * 5)
    real, calls = WordMover.distance, []

    def interrupted_at_the_fourth(self, a, b):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C
        return real(self, a, b)

    monkeypatch.setattr(WordMover, "distance", interrupted_at_the_fourth)
    code, out, err = run_cli(capsys, "wmd", "--vectors", str(vectors), "--pairs", str(pairs))
    assert code == 130 and len(out.splitlines()) == 3 and len(set(out.splitlines())) == 1
    assert err == "seqkit wmd: interrupted; printed the distances of the first 3 of 5 pairs\n"


def test_a_full_disk_while_checkpointing_keeps_the_previous_checkpoint(text_file, tmp_path, monkeypatch,
                                                                       capsys) -> None:
    run = tmp_path / "run"
    real = checkpoints.atomic_write

    def disk_full_after_step_2(path, write):
        if Path(path).name.startswith("ckpt-") and not Path(path).name.startswith("ckpt-2."):
            def half_then_full(tmp: str) -> None:
                write(tmp)  # the bytes reach the temporary file, then the disk is full
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tmp)
            return real(path, half_then_full)
        return real(path, write)

    monkeypatch.setattr(checkpoints, "atomic_write", disk_full_after_step_2)
    argv = ["train", "char-lm", "--data", str(text_file), "--run", str(run), "--eval-every", "2", *SMALL]
    code, _, err = run_cli(capsys, *argv, "--max-steps", "6")
    one_line_error(code, err, "No space left on device")
    assert CheckpointDir(run).steps() == [2] and not list(run.rglob("*.part"))
    monkeypatch.setattr(checkpoints, "atomic_write", real)
    code, out, err = run_cli(capsys, *argv[:-2], "--run", str(run), "--resume", "--max-steps", "4")
    assert code == 0 and "step=4" in out, err  # the checkpoint left behind resumes


@pytest.mark.soak
def test_long_inputs_keep_memory_flat(nmt_run, tmp_path) -> None:
    """Peak resident memory of `translate` on 10,000 lines and of `wmd --pairs` on 100,000 pairs, against
    the same verbs on a tenth of that: flat means within 15% (printed for the closing note)."""
    words = ["uno", "dos", "tres", "gato", "perro", "casa", "rojo", "verde", "grande", "come", "ve", "el"]
    vectors = tmp_path / "vectors.txt"
    vectors.write_text(f"{len(words)} 3\n" + "".join(f"{w} {i % 3} {i % 5} {i % 7}\n" for i, w in
                                                    enumerate(words)))
    peaks = {}
    for n in (1_000, 10_000):
        text = tmp_path / f"in{n}.es"
        text.write_text("".join(" ".join(words[(i + j) % 12] for j in range(i % 7 + 1)) + "\n"
                                for i in range(n)))
        pairs = tmp_path / f"pairs{n}.tsv"
        pairs.write_text("".join(f"{words[i % 12]} {words[(i + 3) % 12]}\t{words[(i + 5) % 12]}\n"
                                 for i in range(n * 10)))
        for verb, argv in (("translate", ["translate", str(nmt_run), "--input", str(text), "--beam", "5"]),
                           ("wmd", ["wmd", "--vectors", str(vectors), "--pairs", str(pairs)])):
            script = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
                      "stdout=subprocess.DEVNULL); "
                      "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            done = subprocess.run([sys.executable, "-c", script, SEQKIT, *argv], capture_output=True,
                                  text=True)
            assert done.returncode == 0, done.stderr[-2000:]
            peaks[verb, n] = int(done.stdout.split()[-1]) / 1024  # MiB
    print(json.dumps({f"{verb} {n}": round(mib, 1) for (verb, n), mib in peaks.items()}))
    assert peaks["translate", 10_000] < 1.15 * peaks["translate", 1_000]
    assert peaks["wmd", 10_000] < 1.15 * peaks["wmd", 1_000]

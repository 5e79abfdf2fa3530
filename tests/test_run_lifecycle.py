"""The run directory's lifecycle through the command line and the API: explicit flags win, old names still
read, presets fill what is left out (constructor and flags alike), --overwrite empties a run (only a run,
only once the input is good), --resume refuses other data, --init-from starts a new run from another's
weights, and operating-system errors are one line, exit 2."""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from seqkit.checkpoints import RUN_FILES, checkpoint_path, read_run_config, save_variables
from seqkit.cli.main import build_parser, main
from seqkit.cli.train import config_for
from seqkit.config import (
    CONFIG_KINDS,
    VALID_CHARS,
    CharRNNConfig,
    CNNSentimentConfig,
    NMTConfig,
    add_flags,
    from_args,
    from_dict,
)
from seqkit.errors import CheckpointError, ConfigError, DataError
from seqkit.training.char_lm_task import train_char_rnn
from seqkit.training.classifier_task import train_cnn_sentiment
from seqkit.training.trainer import Trainer

SMALL = ["--cell", "lstm", "--units", "16", "--embedding-dim", "8", "--batch-size", "4", "--seq-len", "8",
         "--eval-every", "0", "--max-steps", "2"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, *patterns: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for pattern in patterns:
        assert pattern in lines[0], lines[0]


def saved_config(run: str | Path) -> dict:
    return yaml.safe_load((Path(run) / "config.yaml").read_text())


def only_run_files(run: str | Path) -> None:
    """Everything a run wrote is in RUN_FILES, so --overwrite removes it all."""
    assert set(os.listdir(run)) <= set(RUN_FILES), os.listdir(run)


# --- flags ------------------------------------------------------------------------------------------
def test_a_flag_equal_to_its_default_beats_the_config_file(tmp_path, text_file, capsys) -> None:
    (tmp_path / "my.yaml").write_text(f"data: {text_file}\ncell: lstm\nunits: 16\nembedding_dim: 8\n"
                                      "staircase: false\nbatch_size: 4\nseq_len: 8\nmax_steps: 2\n"
                                      "eval_every: 0\n")
    run = str(tmp_path / "run")
    code, _, err = run_cli(capsys, "train", "char-rnn", "--config", str(tmp_path / "my.yaml"), "--run", run,
                           "--embedding-dim", "64", "--staircase")  # both are the built-in defaults
    assert code == 0, err
    saved = saved_config(run)
    assert (saved["embedding_dim"], saved["staircase"], saved["units"]) == (64, True, 16)


def test_resume_takes_a_flag_equal_to_its_default(tmp_path, text_file, capsys) -> None:
    run = str(tmp_path / "run")
    assert run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", run, *SMALL,
                   "--learning-rate", "5e-3")[0] == 0
    code, out, err = run_cli(capsys, "train", "char-rnn", "--run", run, "--resume", "--max-steps", "4",
                             "--learning-rate", "2e-3")
    assert code == 0 and "step=4" in out, err
    assert saved_config(run)["learning_rate"] == 2e-3 and saved_config(run)["units"] == 16
    records = [json.loads(line) for line in open(Path(run) / "metrics.jsonl")]
    assert [r["lr"] for r in records if r["split"] == "train"][-1] == pytest.approx(2e-3)


# --- one name for the validation split --------------------------------------------------------------
def test_old_names_of_the_validation_settings_still_work(tmp_path, capsys) -> None:
    args = build_parser().parse_args(["train", "nmt", "--src", "a", "--tgt", "b", "--dev-src", "c",
                                      "--dev-tgt", "d", "--dev-size", "7"])
    cfg = config_for(args, NMTConfig)
    assert (cfg.valid_src, cfg.valid_tgt, cfg.valid_size) == ("c", "d", 7)
    with pytest.raises(SystemExit):
        main(["train", "nmt", "--help"])
    shown = capsys.readouterr().out
    assert "--valid-src" in shown and "--dev-src" not in shown
    cfg = from_dict({"kind": "cnn-sentiment", "train": "t.csv", "val": "v.csv", "val_fraction": 0.2})
    assert (cfg.valid, cfg.valid_fraction) == ("v.csv", 0.2)
    with pytest.raises(ConfigError, match="val is the old name of valid"):
        from_dict({"kind": "cnn-sentiment", "train": "t.csv", "val": "v.csv", "valid": "w.csv"})
    (tmp_path / "config.yaml").write_text("kind: nmt\nsrc: a\ntgt: b\ndev_src: c\ndev_tgt: d\ndev_size: 9\n")
    assert read_run_config(tmp_path, NMTConfig).valid_size == 9  # a run saved before the rename


def test_presets_fill_what_the_user_left_out() -> None:
    cfg = NMTConfig(model="transformer", src="s", tgt="t", layers=2)
    assert (cfg.encoder, cfg.decoder, cfg.layers, cfg.schedule, cfg.tie_embeddings) == \
        ("transformer", "transformer", 2, "inverse-sqrt", True)
    assert NMTConfig(src="s", tgt="t").layers == 1
    char = CharRNNConfig(seq_len=32)
    assert (char.cell, char.layers, char.seq_len, char.batch_size, char.warmup_steps) == \
        ("transformer", 4, 32, 12, 100)
    lstm = CharRNNConfig(cell="lstm", layers=4)  # a value given wins, even the default's
    assert (lstm.layers, lstm.seq_len, lstm.batch_size, lstm.schedule, lstm.warmup_steps) == \
        (4, 100, 64, "constant", 0)
    assert from_dict(lstm.to_dict()) == lstm  # a saved config is read as it was written
    # a schedule chosen alone drops the default's warm-up and takes its own decay settings
    for cfg in (CharRNNConfig(schedule="constant"), NMTConfig(model="transformer", src="s", tgt="t",
                                                              schedule="constant")):
        cfg.validate()
        assert cfg.warmup_steps == 0
    exponential = CharRNNConfig(schedule="exponential")
    assert (exponential.warmup_steps, exponential.decay_steps, exponential.decay_rate) == (0, 1000, 0.5)
    with pytest.raises(ConfigError, match="warmup_steps applies to the cosine"):
        CharRNNConfig(schedule="constant", warmup_steps=100).validate()


def test_flags_and_constructor_give_the_same_config() -> None:
    parser = argparse.ArgumentParser()
    add_flags(parser, CharRNNConfig)
    for argv, kw in [([], {}), (["--cell", "gru"], dict(cell="gru")),
                     (["--cell", "lstm", "--layers", "4"], dict(cell="lstm", layers=4)),
                     (["--cell", "transformer", "--layers", "1"], dict(cell="transformer", layers=1))]:
        assert from_args(parser.parse_args(argv), CharRNNConfig) == CharRNNConfig(**kw)


def test_valid_chars_is_checked_and_runs_from_before_it_score_the_whole_split(tmp_path) -> None:
    with pytest.raises(ConfigError, match="valid_chars cannot be negative, not -1"):
        CharRNNConfig(valid_chars=-1).validate()
    with pytest.raises(ConfigError, match="valid_chars 1 leaves no character to predict"):
        from_dict({"kind": "char-rnn", "valid_chars": 1})
    assert CharRNNConfig().valid_chars == VALID_CHARS == 1_000_000
    old = CharRNNConfig(run=str(tmp_path)).to_dict()
    del old["valid_chars"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(old))
    assert read_run_config(tmp_path, CharRNNConfig).valid_chars == 0  # so --resume goes on as it began
    assert read_run_config(tmp_path).valid_chars == 0
    assert from_dict(old).valid_chars == VALID_CHARS  # a --config file or API dict: today's default


def test_model_and_data_fields_name_config_fields() -> None:
    for cls in CONFIG_KINDS.values():
        names = {f.name for f in fields(cls)}
        assert set(cls.model_fields) <= names and set(cls.data_fields) <= names, cls


# --- --overwrite ------------------------------------------------------------------------------------
def test_overwrite_keeps_the_run_when_the_input_is_bad_and_never_touches_other_folders(tiny_cfg,
                                                                                       tmp_path) -> None:
    cfg = tiny_cfg(max_steps=2, eval_every=0)
    train_char_rnn(cfg)
    with pytest.raises(CheckpointError, match="--overwrite"):
        train_char_rnn(cfg)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match="empty"):
        train_char_rnn(tiny_cfg(max_steps=2, eval_every=0, data=str(tmp_path / "empty.txt")), overwrite=True)
    assert checkpoint_path(cfg.run).exists() and (Path(cfg.run) / "alphabet.json").exists()
    only_run_files(cfg.run)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match="not a seqkit run"):
        train_char_rnn(tiny_cfg(run=str(mine)), overwrite=True)
    assert os.listdir(mine) == ["notes.txt"]


# --- --resume checks the data -----------------------------------------------------------------------
def test_resume_refuses_other_data_and_points_to_init_from(tiny_cfg, tmp_path, shakespeare_slice) -> None:
    cfg = tiny_cfg(max_steps=2, eval_every=0)
    train_char_rnn(cfg)
    assert json.loads((Path(cfg.run) / "data.json").read_text())["valid"] == "held out"
    other = tmp_path / "other.txt"
    other.write_text(shakespeare_slice[::-1])
    with pytest.raises(ConfigError, match=f"other.txt.*--init-from {cfg.run}"):
        train_char_rnn(tiny_cfg(max_steps=4, data=str(other)), resume=True)
    Path(cfg.data).write_text(shakespeare_slice[1:])  # the same file, changed
    with pytest.raises(ConfigError, match="was trained on --data .*text.txt"):
        train_char_rnn(tiny_cfg(max_steps=4), resume=True)
    (Path(cfg.run) / "data.json").unlink()  # a run from before data.json resumes as it always did
    assert train_char_rnn(tiny_cfg(max_steps=4), resume=True)["step"] == 4


# --- --init-from ------------------------------------------------------------------------------------
def model_arrays(path: Path) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f["model"].visititems(lambda name, ds: found.setdefault(name, ds[()])
                              if isinstance(ds, h5py.Dataset) else None)
    return found


def test_init_from_starts_a_new_run_at_step_0_from_the_source_weights(tiny_cfg, tmp_path, monkeypatch,
                                                                      shakespeare_slice) -> None:
    source = tiny_cfg(max_steps=6, eval_every=3)
    train_char_rnn(source)
    other = tmp_path / "other.txt"
    other.write_text(shakespeare_slice[::-1])  # new text, the same characters
    start = {}

    def fit(self) -> dict:
        start.update(step=self.step, iterations=int(self.optimizer.iterations.numpy()))
        save_variables(tmp_path / "start.h5", {"model": self.task.model})
        return {}

    monkeypatch.setattr(Trainer, "fit", fit)
    tuned = tiny_cfg(run=str(tmp_path / "tuned"), data=str(other), init_from=source.run)
    train_char_rnn(tuned)
    assert start == {"step": 0, "iterations": 0}
    want, got = model_arrays(checkpoint_path(source.run)), model_arrays(tmp_path / "start.h5")
    assert want.keys() == got.keys() and all(np.array_equal(want[k], got[k]) for k in want)
    alphabet = "alphabet.json"
    assert (Path(tuned.run) / alphabet).read_bytes() == (Path(source.run) / alphabet).read_bytes()
    only_run_files(tuned.run)
    (tmp_path / "odd.txt").write_text("\u00a7" + shakespeare_slice)
    with pytest.raises(DataError, match=r"'\u00a7' \(U\+00A7\)"):
        train_char_rnn(tiny_cfg(run=str(tmp_path / "odd"), data=str(tmp_path / "odd.txt"),
                                init_from=source.run))
    with pytest.raises(ConfigError, match=r"units 32 \(not 64\)"):
        train_char_rnn(tiny_cfg(run=str(tmp_path / "bigger"), units=64, init_from=source.run))
    with pytest.raises(ConfigError, match="drop one of them"):
        train_char_rnn(tiny_cfg(init_from=str(tmp_path / "tuned"), max_steps=8), resume=True)


def test_init_from_on_the_command_line_takes_the_model_settings_of_its_run(tmp_path, text_file,
                                                                            capsys) -> None:
    source, tuned = str(tmp_path / "source"), str(tmp_path / "tuned")
    assert run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", source, *SMALL,
                   "--cell", "gru")[0] == 0
    code, out, err = run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", tuned,
                             "--init-from", source, "--max-steps", "1", "--batch-size", "4", "--seq-len", "8")
    assert code == 0 and "step=1" in out, err
    saved = saved_config(tuned)
    assert (saved["cell"], saved["units"], saved["init_from"]) == ("gru", 16, source)
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--run", tuned, "--init-from", source, "--cell",
                            "lstm", "--overwrite")[::2], "cell 'gru' (not 'lstm')")
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--run", str(tmp_path / "x"), "--init-from",
                            str(tmp_path / "nowhere"))[::2], "not a seqkit run directory")


def write_csv(path: Path, rows: list[tuple[str, str]]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("label", "text"), *rows])
    return str(path)


def test_cnn_init_from_keeps_vocabulary_and_classes(tmp_path) -> None:
    words = {"pos": "good great fine", "neg": "bad awful poor"}
    rows = [(label, f"{words[label].split()[i % 3]} movie {i % 7}") for i in range(60) for label in words]
    small = dict(maps=4, embedding_dim=8, widths="2", batch_size=16, epochs=1, seed=1)
    source = CNNSentimentConfig(run=str(tmp_path / "source"), train=write_csv(tmp_path / "a.csv", rows),
                                **small)
    train_cnn_sentiment(source)
    tuned = CNNSentimentConfig(run=str(tmp_path / "tuned"), train=write_csv(tmp_path / "b.csv", rows[::-1]),
                               init_from=source.run, **small)
    assert train_cnn_sentiment(tuned)["step"] > 0
    for name in ("vocab.txt", "classes.json"):
        assert (Path(tuned.run) / name).read_bytes() == (Path(source.run) / name).read_bytes()
    only_run_files(tuned.run)
    three = write_csv(tmp_path / "c.csv", rows + [("meh", f"so so {i}") for i in range(30)])
    with pytest.raises(ConfigError, match="classes meh, neg, pos, but .* trained on neg, pos"):
        train_cnn_sentiment(CNNSentimentConfig(run=str(tmp_path / "three"), train=three,
                                               init_from=source.run, **small))


WORDS = {"uno": "one", "dos": "two", "gato": "cat", "perro": "dog", "casa": "house", "rojo": "red"}
# One step: these tests check which vocabulary files a run holds, not what its model learns (each training
# step of another batch shape would be one more trace of the step).
NMT_SMALL = ["--units", "16", "--embedding-dim", "8", "--batch-tokens", "200", "--eval-every", "0",
             "--max-steps", "1", "--eval-beam", "1", "--valid-size", "20", "--dropout", "0"]


def nmt_corpus(d: Path, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    pairs = [list(rng.choice(list(WORDS), rng.integers(2, 6))) for _ in range(n)]
    for side, lines in (("es", [" ".join(p) for p in pairs]), ("en", [" ".join(WORDS[w] for w in p)
                                                                     for p in pairs])):
        (d / f"{seed}.{side}").write_text("".join(line + "\n" for line in lines))
    return ["--src", str(d / f"{seed}.es"), "--tgt", str(d / f"{seed}.en")]


def test_nmt_overwrite_leaves_no_old_vocabulary_and_init_from_reuses_it(nmt_run, tmp_path, capsys) -> None:
    # A copy of the session's word-vocabulary run (conftest.py) is the run to overwrite.
    run, tuned = shutil.copytree(nmt_run, tmp_path / "run"), tmp_path / "tuned"
    data = nmt_corpus(tmp_path, 400, 0)
    assert saved_config(run)["vocab_type"] == "word" and (run / "src.vocab").exists()
    code, _, err = run_cli(capsys, "train", "nmt", *data, "--run", str(run), "--overwrite", "--vocab-size",
                           "40", *NMT_SMALL)
    assert code == 0, err
    assert not (run / "src.vocab").exists() and (run / "src.model").exists()
    only_run_files(run)
    (tmp_path / "in.es").write_text("gato rojo\n")
    code, out, err = run_cli(capsys, "translate", str(run), "--input", str(tmp_path / "in.es"))
    assert code == 0 and len(out.split("\n")) == 2, err
    code, _, err = run_cli(capsys, "train", "nmt", *nmt_corpus(tmp_path, 300, 1), "--run", str(tuned),
                           "--init-from", str(run), *NMT_SMALL)
    assert code == 0, err
    assert saved_config(tuned)["vocab_type"] == "unigram"
    for side in ("src", "tgt"):
        assert (tuned / f"{side}.model").read_bytes() == (run / f"{side}.model").read_bytes()


# --- operating-system errors ------------------------------------------------------------------------
def test_impossible_run_directories_and_outputs_are_one_line_errors(tmp_path, text_file, capsys) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run",
                            str(afile / "run"), *SMALL)[::2], f"{afile / 'run'}: Not a directory")
    one_line_error(*run_cli(capsys, "vocab", "build", "--input", str(text_file), "--type", "word", "--out",
                            str(afile / "sub"))[::2], str(afile))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_run_directory_fails_before_training(tmp_path, text_file, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        for run in (locked / "run", locked):
            one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", str(run),
                                    *SMALL)[::2], str(run))
    finally:
        locked.chmod(0o700)

"""The command line contract: the exact forms other tools call, --help everywhere, exit 2 on user errors."""

from __future__ import annotations

import pytest

from seqkit.cli.main import VERBS, main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


SUBVERBS = [["train", "char-rnn"], ["data", "fetch"], ["evaluate", "lm"]]


@pytest.mark.parametrize("argv", [[v] for v in VERBS] + SUBVERBS)
def test_every_verb_has_help(argv, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0
    assert "usage: seqkit" in capsys.readouterr().out


def test_train_sample_evaluate_export(tmp_path, text_file, capsys) -> None:
    run = str(tmp_path / "run")
    code, out, _ = run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", run,
                           "--cell", "gru", "--max-steps", "6", "--seed", "3", "--units", "32",
                           "--batch-size", "8", "--seq-len", "16", "--eval-every", "3")
    assert code == 0 and "bpc=" in out
    code, out, _ = run_cli(capsys, "sample", run, "--length", "50", "--seed", "1", "--temperature", "0.8",
                           "--prime", "The ")
    assert code == 0 and out.startswith("The ") and len(out) == 55
    code, out, _ = run_cli(capsys, "evaluate", run, "--data", str(text_file))
    assert code == 0 and "bits/char" in out
    assert run_cli(capsys, "evaluate", "lm", run, "--data", str(text_file))[1] == out
    code, out, _ = run_cli(capsys, "export", run, "--h5", str(tmp_path / "w.h5"))
    assert code == 0 and (tmp_path / "w.h5").exists()
    # resuming keeps the run's settings and takes the new step limit
    code, out, _ = run_cli(capsys, "train", "char-rnn", "--run", run, "--resume", "--max-steps", "8")
    assert code == 0 and "step=8" in out


def test_config_file_and_flags(tmp_path, text_file, capsys) -> None:
    (tmp_path / "c.yaml").write_text(f"data: {text_file}\nunits: 24\ncell: rnn1\nmax_steps: 2\n"
                                     "batch_size: 4\nseq_len: 8\neval_every: 0\n")
    run = str(tmp_path / "run")
    code, _, err = run_cli(capsys, "train", "char-rnn", "--config", str(tmp_path / "c.yaml"), "--run", run,
                           "--units", "20")
    assert code == 0, err
    saved = (tmp_path / "run" / "config.yaml").read_text()
    assert "units: 20" in saved and "cell: rnn1" in saved and "max_steps: 2" in saved
    (tmp_path / "bad.yaml").write_text("unitz: 3\n")
    code, _, err = run_cli(capsys, "train", "char-rnn", "--config", str(tmp_path / "bad.yaml"))
    assert code == 2 and "unknown config keys: unitz" in err


def one_line_error(code: int, err: str, pattern: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert pattern in lines[0], lines[0]


def test_bad_inputs_give_one_clear_line(tmp_path, text_file, capsys) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bytes.txt").write_bytes(b"good text\n\xff\xfe bad")
    (tmp_path / "upper.txt").write_text("abc def Ghi " * 100)
    run = str(tmp_path / "run")
    small = ["--max-steps", "2", "--cell", "lstm", "--units", "16", "--batch-size", "4", "--seq-len", "8",
             "--eval-every", "0"]
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(tmp_path / "empty.txt"), "--run", run,
                            *small)[::2], "empty")
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(tmp_path / "bytes.txt"), "--run", run,
                            *small)[::2], "byte 10 (line 2) is not valid UTF-8")
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(tmp_path / "upper.txt"), "--run", run,
                            "--alphabet", "text8", *small)[::2], "'G' (U+0047) at position 8")
    one_line_error(*run_cli(capsys, "sample", str(tmp_path / "nowhere"))[::2], "not a seqkit run directory")

    assert run_cli(capsys, "train", "char-rnn", "--data", str(text_file), "--run", run, *small)[0] == 0
    # starting from the run on text with characters its alphabet lacks
    (tmp_path / "other.txt").write_text("Ωmega " * 500)
    one_line_error(*run_cli(capsys, "train", "char-rnn", "--data", str(tmp_path / "other.txt"), "--run",
                            str(tmp_path / "tuned"), "--init-from", run, "--max-steps", "4")[::2],
                   "whose alphabet has")
    one_line_error(*run_cli(capsys, "sample", run, "--prime", "Ω")[::2], "--prime")
    # a corrupt checkpoint
    ckpt = tmp_path / "run" / "checkpoints" / "ckpt-2.h5"
    ckpt.write_bytes(ckpt.read_bytes()[:200])
    one_line_error(*run_cli(capsys, "sample", run)[::2], "not a readable checkpoint")

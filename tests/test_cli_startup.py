"""The command line builds its parser (and answers --help) without importing TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_building_the_parser_does_not_import_tensorflow() -> None:
    code = ("import sys, seqkit.cli.main as m; m.build_parser(); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def seqkit(*argv: str) -> subprocess.CompletedProcess:
    """`seqkit ARGV` in a fresh process, with no TensorFlow logging setting of the caller's."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "SEQKIT_VERBOSE")}
    return subprocess.run([str(Path(sys.executable).parent / "seqkit"), *argv], capture_output=True,
                          text=True, env=env, timeout=120)


def test_tensorflow_start_up_chatter_is_quiet_unless_verbose(char_run) -> None:
    quiet = seqkit("sample", str(char_run), "--length", "5", "--prime", "The")
    assert quiet.returncode == 0 and quiet.stdout.startswith("The"), quiet.stderr
    assert quiet.stderr == "", quiet.stderr  # no absl, CUDA or cuInit lines


def test_verbose_lets_tensorflow_speak(monkeypatch) -> None:
    from seqkit.cli import quiet

    for verbose, env, level in ((True, {}, "0"), (False, {"SEQKIT_VERBOSE": "1"}, "0"),
                                (False, {"TF_CPP_MIN_LOG_LEVEL": "1"}, "1")):
        monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        quiet.import_tensorflow(verbose)
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == level
        monkeypatch.delenv("SEQKIT_VERBOSE", raising=False)


def test_verbs_without_models_never_import_tensorflow(tmp_path) -> None:
    hyp = str(tmp_path / "hyp")
    Path(hyp).write_text("the cat sat\n")
    code = ("import sys; from seqkit.cli.main import main; "
            f"code = main(['evaluate', 'bleu', '--ref', {hyp!r}, {hyp!r}]); "
            "print(code, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["0", "False"]

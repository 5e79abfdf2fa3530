"""The command line builds its parser (and answers --help) without importing TensorFlow."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_parser_does_not_import_tensorflow() -> None:
    code = ("import sys, seqkit.cli.main as m; m.build_parser(); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

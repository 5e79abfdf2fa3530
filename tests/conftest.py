"""Shared fixtures: small real text (a slice of the embedded Shakespeare) and tiny, fast configs."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from seqkit.config import CharRNNConfig  # noqa: E402
from seqkit.data.embedded import embedded_text  # noqa: E402


@pytest.fixture(scope="session")
def shakespeare_slice() -> str:
    """60,000 characters of real text from the corpus the package ships."""
    return embedded_text()[200_000:260_000]


@pytest.fixture
def text_file(tmp_path: Path, shakespeare_slice: str) -> Path:
    path = tmp_path / "text.txt"
    path.write_text(shakespeare_slice, encoding="utf-8")
    return path


@pytest.fixture
def tiny_cfg(tmp_path: Path, text_file: Path):
    """A factory of small char-rnn configs that train in a second or two."""

    def make(**overrides) -> CharRNNConfig:
        values = dict(run=str(tmp_path / "run"), data=str(text_file), units=32, embedding_dim=16,
                      batch_size=8, seq_len=20, max_steps=20, eval_every=10, log_every=1,
                      eval_batch_size=16, learning_rate=5e-3, seed=1)
        return CharRNNConfig(**(values | overrides))

    return make

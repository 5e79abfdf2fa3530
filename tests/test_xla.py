"""--xla: `auto` compiles the models it speeds up (the Transformer LM) and no other, and the compiled step
trains to the same losses as the graph step (XLA fuses and reorders float operations, so equal to
rounding). That an XLA run resumes exactly is test_training's resume test of the Transformer, which
trains with the default, auto."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqkit.api import train_char_rnn
from seqkit.config import CharRNNConfig
from seqkit.errors import ConfigError
from seqkit.training.trainer import Trainer

# The largest relative gap of the 6 training losses between XLA and the graph step measured on CPU: 2e-7.
TOLERANCE = 1e-5


def losses(run: str) -> list[float]:
    return [r["loss"] for r in map(json.loads, open(Path(run) / "metrics.jsonl")) if r["split"] == "train"]


def config(root: Path, name: str, **overrides) -> CharRNNConfig:
    values = dict(run=str(root / name), data=str(root / "text.txt"), cell="transformer", layers=2,
                  model_dim=32, heads=2, ff_dim=64, batch_size=4, seq_len=16, max_steps=6, eval_every=0,
                  log_every=1, eval_batch_size=16, seed=3)
    return CharRNNConfig(**(values | overrides))


@pytest.fixture(scope="module")
def root(tmp_path_factory, shakespeare_slice) -> Path:
    root = tmp_path_factory.mktemp("xla")
    (root / "text.txt").write_text(shakespeare_slice[:6_000], encoding="utf-8")
    return root


def trainer_of(monkeypatch, cfg: CharRNNConfig) -> Trainer:
    made: list[Trainer] = []
    real_init = Trainer.__init__

    def spy(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Trainer, "__init__", spy)
    train_char_rnn(cfg)
    return made[-1]


def test_auto_leaves_recurrent_cells_to_the_graph(root, monkeypatch):
    cfg = config(root, "auto-lstm", cell="lstm", units=16, embedding_dim=8, max_steps=1)
    assert not trainer_of(monkeypatch, cfg).xla


def test_auto_compiles_the_transformer_to_the_graph_steps_losses(root, monkeypatch):
    compiled = trainer_of(monkeypatch, config(root, "auto"))
    graph = trainer_of(monkeypatch, config(root, "off", xla="off"))
    assert compiled.xla and not graph.xla
    a, b = np.array(losses(compiled.cfg.run)), np.array(losses(graph.cfg.run))
    assert len(a) == 6 and np.max(np.abs(a - b) / b) < TOLERANCE
    assert a[-1] < a[0]


def test_xla_choices_are_checked():
    with pytest.raises(ConfigError, match="xla must be one of auto, on, off"):
        CharRNNConfig(xla="yes").validate()

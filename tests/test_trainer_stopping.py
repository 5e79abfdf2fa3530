"""The trainer's general stopping rules on a scripted task: checkpoints ranked by the selected metric in
its direction (lower or higher is better), early stopping after `patience` evaluations, epochs."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqkit.checkpoints import CheckpointDir
from seqkit.config import TrainConfig
from seqkit.errors import ConfigError
from seqkit.training.trainer import Trainer


class ScriptedTask:
    """A one-weight regression whose validation metrics follow a script: `score` (higher is better)
    and `error` (lower is better) both take the scripted value."""

    unit = "examples"
    batch_size = 4
    steps_per_epoch = 5
    xla = False
    goals = {"score": "max", "error": "min"}

    def __init__(self, script: list[float]) -> None:
        self.model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        self.script, self.evaluations, self.served = list(script), 0, 0

    def batches(self):
        while True:
            self.served += 1
            yield np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)

    def initial_carry(self) -> tuple:
        return ()

    def loss(self, batch, carry, training):
        x, y = batch
        return tf.reduce_sum((self.model(x) - y) ** 2), tf.size(y), carry

    def evaluate(self) -> dict[str, float]:
        value = self.script[self.evaluations]
        self.evaluations += 1
        return {"score": value, "error": value}

    def data_position(self) -> dict[str, np.ndarray]:
        return {"served": np.array(self.served)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        self.served = int(arrays["served"])


def fit(tmp_path: Path, script: list[float], **cfg) -> tuple[dict, Trainer]:
    values = dict(run=str(tmp_path / "run"), max_steps=20, eval_every=1, log_every=1)
    trainer = Trainer(ScriptedTask(script), TrainConfig(**(values | cfg)), tf.distribute.get_strategy())
    return trainer.fit(), trainer


def eval_steps(run: Path) -> list[int]:
    return [json.loads(line)["step"] for line in open(run / "metrics.jsonl") if '"valid"' in line]


SCRIPT = [0.5, 0.7, 0.6, 0.65, 0.4, 0.3, 0.2, 0.1]


@pytest.mark.parametrize(("select", "best_step", "stop_step"), [
    ("score", 2, 4),  # higher is better: 0.7 at step 2, then 0.6 and 0.65 do not beat it
    ("error", 1, 3),  # lower is better: 0.5 at step 1, then 0.7 and 0.6 do not beat it
    ("", 2, 4),  # the task's first goal
])
def test_selected_metric_ranks_checkpoints_and_patience_stops(tmp_path, select, best_step, stop_step) -> None:
    last, _ = fit(tmp_path, SCRIPT, select=select, patience=2)
    best = CheckpointDir(tmp_path / "run").best()
    assert (best["step"], best["value"]) == (best_step, SCRIPT[best_step - 1])
    assert best["metric"] == (select or "score")
    assert last["step"] == stop_step and eval_steps(tmp_path / "run") == list(range(1, stop_step + 1))


def test_no_patience_trains_to_the_end(tmp_path) -> None:
    last, _ = fit(tmp_path, SCRIPT, max_steps=8)
    assert last["step"] == 8 and CheckpointDir(tmp_path / "run").best()["step"] == 2


def test_unknown_selected_metric_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="select must be one of score, error for this model, not 'bleu'"):
        fit(tmp_path, SCRIPT, select="bleu")


def test_epochs_set_the_steps_and_the_evaluations(tmp_path) -> None:
    last, trainer = fit(tmp_path, SCRIPT, max_steps=0, epochs=3, eval_every=0)
    assert last["step"] == 15 and trainer.task.served == 15
    assert eval_steps(tmp_path / "run") == [5, 10, 15]  # eval_every 0: once an epoch
    last, _ = fit(tmp_path / "b", SCRIPT, max_steps=7, epochs=3, eval_every=0)
    assert last["step"] == 7 and eval_steps(tmp_path / "b" / "run") == [5, 7]  # whichever ends first
    last, _ = fit(tmp_path / "c", SCRIPT * 2, max_steps=0, epochs=1, min_steps=12, eval_every=0)
    assert last["step"] == 12 and eval_steps(tmp_path / "c" / "run") == [5, 10, 12]  # small data: more passes
    last, _ = fit(tmp_path / "d", SCRIPT, max_steps=0, epochs=3, min_steps=12, eval_every=0)
    assert last["step"] == 15  # epochs that already last longer are kept


def test_patience_count_survives_resume(tmp_path) -> None:
    fit(tmp_path, [0.5, 0.4, 0.3], max_steps=3, patience=3)  # two evaluations without improvement
    cfg = TrainConfig(run=str(tmp_path / "run"), max_steps=20, eval_every=1, log_every=1, patience=3)
    trainer = Trainer(ScriptedTask([0.2, 0.1]), cfg, tf.distribute.get_strategy())
    trainer.restore(CheckpointDir(cfg.run).latest())
    assert (trainer.stale, trainer.task.served) == (2, 3)
    assert trainer.fit()["step"] == 4  # the third evaluation without improvement stops it


def test_something_must_end_training() -> None:
    with pytest.raises(ConfigError, match="nothing would end training"):
        TrainConfig(max_steps=0).validate()
    TrainConfig(max_steps=0, max_time=5).validate()
    with pytest.raises(ConfigError, match="patience cannot be negative"):
        TrainConfig(patience=-1).validate()


def test_decay_steps_0_decays_over_the_whole_run(tmp_path) -> None:
    fit(tmp_path, SCRIPT * 3, max_steps=0, epochs=3, eval_every=0, schedule="cosine", decay_steps=0,
        decay_rate=0.0, learning_rate=0.1)
    lrs = {r["step"]: r["lr"] for r in map(json.loads, open(tmp_path / "run" / "metrics.jsonl"))
           if r["split"] == "train"}
    assert lrs == pytest.approx({s: 0.05 * (1 + np.cos(np.pi * s / 15)) for s in range(1, 16)}, abs=1e-6)
    with pytest.raises(ConfigError, match="decay_steps 0 decays over the whole run"):
        fit(tmp_path / "b", SCRIPT, max_steps=0, max_time=5, schedule="cosine", decay_steps=0)


def test_throughput_counts_training_time_only_around_an_evaluation(tmp_path, monkeypatch) -> None:
    """On a clock where a step takes 1 s and an evaluation 10 s, a window of 4 steps with an evaluation
    inside it logs 4 x 4 examples in 4 s."""
    clock = [0.0]

    class ClockedTask(ScriptedTask):
        def batches(self):
            for batch in super().batches():
                clock[0] += 1.0
                yield batch

        def evaluate(self) -> dict[str, float]:
            clock[0] += 10.0
            return super().evaluate()

    monkeypatch.setattr("seqkit.training.trainer.time.perf_counter", lambda: clock[0])
    cfg = TrainConfig(run=str(tmp_path / "run"), max_steps=8, eval_every=2, log_every=4)
    Trainer(ClockedTask(SCRIPT), cfg, tf.distribute.get_strategy()).fit()
    rates = [r["examples_per_s"] for r in map(json.loads, open(tmp_path / "run" / "metrics.jsonl"))
             if r["split"] == "train"]
    assert rates == [4.0, 4.0]

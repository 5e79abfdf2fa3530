"""One training loop for every seqkit model.

A task supplies the model, the batches and a loss; the trainer owns everything else: the compiled
step, optimizer and schedule, clipping, evaluation, checkpoints (atomic, last N + best), exact resume,
Ctrl-C, NaN detection, tqdm progress, TensorBoard scalars and metrics.jsonl.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from seqkit.config import TrainConfig
from seqkit.errors import TrainingError
from seqkit.training import distribute
from seqkit.training.checkpoints import CheckpointDir, load_variables, save_variables


class Task(Protocol):
    """What a model family gives the trainer."""

    model: keras.Model
    batch_size: int
    unit: str  # what `count` counts, for throughput: "chars", "tokens", "examples"

    def batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Endless training batches (NumPy, batch axis first)."""

    def initial_carry(self) -> tuple[np.ndarray, ...]:
        """State carried from one batch to the next (RNN state for streams; empty otherwise)."""

    def loss(self, batch: tuple, carry: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor, tuple]:
        """(sum of per-unit losses in nats, number of units, new carry) for one replica's batch."""

    def evaluate(self) -> dict[str, float]:
        """Validation metrics; the first key is the one checkpoints are ranked by (lower is better)."""

    def data_position(self) -> dict[str, np.ndarray]:
        """Where the batch stream is, to be checkpointed."""

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        """Put the batch stream back where `data_position` said."""


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras at once."""
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def make_optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam or SGD with the configured schedule and global-norm clipping."""
    lr: float | keras.optimizers.schedules.LearningRateSchedule = cfg.learning_rate
    if cfg.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(cfg.learning_rate, cfg.decay_steps, cfg.decay_rate,
                                                         staircase=cfg.staircase)
    elif cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, cfg.decay_steps, alpha=cfg.decay_rate)
    clip = cfg.clip_norm or None
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(lr, global_clipnorm=clip)
    return keras.optimizers.Adam(lr, global_clipnorm=clip)


class Trainer:
    """Runs a task's training in its run directory; `fit` can be resumed exactly from any checkpoint."""

    def __init__(self, task: Task, cfg: TrainConfig, strategy: tf.distribute.Strategy) -> None:
        self.task, self.cfg, self.strategy = task, cfg, strategy
        self.run_dir = Path(cfg.run)
        self.ckpts = CheckpointDir(self.run_dir, cfg.keep)
        with strategy.scope():
            self.optimizer = make_optimizer(cfg)
            self.optimizer.build(task.model.trainable_variables)
        self.step = 0
        self.carry = task.initial_carry()
        self._train_step = tf.function(self._replica_step, reduce_retracing=True)

    # --- checkpoints -------------------------------------------------------------------------------
    def _groups(self) -> dict:
        return {"model": self.task.model.variables, "optimizer": self.optimizer.variables}

    def save(self) -> Path:
        """Write ckpt-STEP.h5 with weights, optimizer, step, data position and carried state."""
        arrays = {f"carry_{i}": c for i, c in enumerate(self.carry)} | self.task.data_position()
        path = self.ckpts.path(self.step)
        save_variables(path, self._groups(), arrays, {"step": self.step})
        self.ckpts.prune()
        return path

    def restore(self, path: Path) -> None:
        """Load everything `save` wrote, so training continues as if never stopped."""
        arrays, attrs = load_variables(path, self._groups())
        self.step = int(attrs["step"])
        self.carry = tuple(arrays[f"carry_{i}"] for i in range(len(self.carry)))
        self.task.restore_data_position(arrays)

    # --- the step ----------------------------------------------------------------------------------
    def _replica_step(self, batch, carry):
        variables = self.task.model.trainable_variables
        with tf.GradientTape() as tape:
            loss_sum, count, carry = self.task.loss(batch, carry, True)
            # Each replica's mean, scaled so that summing gradients over replicas averages them.
            loss = loss_sum / tf.cast(count, loss_sum.dtype) / self.strategy.num_replicas_in_sync
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return loss_sum, count, carry

    def train_step(self, batch: tuple) -> tuple[float, int]:
        """One optimizer step on a global batch; returns (loss sum, units)."""
        size = self.task.batch_size
        args = distribute.split(self.strategy, tuple(batch) + tuple(self.carry), size)
        n = len(batch)
        loss_sum, count, carry = self.strategy.run(self._train_step, args=(args[:n], args[n:]))
        self.carry = distribute.gather(self.strategy, carry)
        return distribute.total(self.strategy, loss_sum), int(distribute.total(self.strategy, count))

    # --- the loop ----------------------------------------------------------------------------------
    def _log(self, record: dict, writer) -> None:
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        with writer.as_default(step=record["step"]):
            for key, value in record.items():
                if key not in ("step", "split"):
                    tf.summary.scalar(f"{record['split']}/{key}", value)

    def _evaluate(self, writer) -> dict[str, float]:
        metrics = self.task.evaluate()
        self._log({"step": self.step, "split": "valid", **metrics}, writer)
        key, value = next(iter(metrics.items()))
        best = self.ckpts.best()
        path = self.save()
        if best is None or value < best["value"] or not self.ckpts.path(best["step"]).exists():
            self.ckpts.mark_best(self.step, key, value)
        return {"step": self.step, **metrics, "checkpoint": str(path)}

    def fit(self) -> dict[str, float]:
        """Train until max_steps or max_time; evaluate and checkpoint on the way; return final metrics."""
        cfg, task = self.cfg, self.task
        writer = tf.summary.create_file_writer(str(self.run_dir / "logs"))
        batches = task.batches()
        start, last = time.perf_counter(), None
        window_loss, window_count, window_time = 0.0, 0, time.perf_counter()
        total = None if cfg.max_time else cfg.max_steps  # a time budget ends training at an unknown step
        bar = tqdm(total=total, initial=self.step, desc="train", unit="step", dynamic_ncols=True,
                   disable=None)
        try:
            while self.step < cfg.max_steps:
                loss_sum, count = self.train_step(next(batches))
                if not math.isfinite(loss_sum):
                    good = self.ckpts.latest()
                    raise TrainingError(
                        f"the loss became {loss_sum} at step {self.step + 1}; last good checkpoint: "
                        f"{good or 'none'}. Lower --learning-rate or --clip-norm and --resume")
                self.step += 1
                bar.update(1)
                window_loss, window_count = window_loss + loss_sum, window_count + count
                if self.step % cfg.log_every == 0 or self.step == cfg.max_steps:
                    now = time.perf_counter()
                    nats = window_loss / window_count
                    rate = window_count / (now - window_time)
                    lr = float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))
                    record = {"step": self.step, "split": "train", "loss": nats, "bpc": nats / math.log(2),
                              f"{task.unit}_per_s": rate, "lr": lr}
                    self._log(record, writer)
                    bar.set_postfix(loss=f"{nats:.3f}", bpc=f"{nats / math.log(2):.3f}",
                                    **{f"{task.unit}/s": f"{rate:,.0f}"})
                    window_loss, window_count, window_time = 0.0, 0, now
                if cfg.eval_every and self.step % cfg.eval_every == 0:
                    last = self._evaluate(writer)
                    window_time = time.perf_counter()  # throughput counts training time only
                if cfg.max_time and time.perf_counter() - start >= cfg.max_time:
                    break
        except KeyboardInterrupt:
            bar.close()
            path = self.save()
            print(f"\ninterrupted at step {self.step}; saved {path}. Continue with --resume.")
            raise
        finally:
            bar.close()
            writer.flush()
        if last is None or last.get("step") != self.step:
            last = self._evaluate(writer)
        return last

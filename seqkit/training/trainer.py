"""One training loop for every seqkit model.

A task supplies the model, the batches and a loss; the trainer owns everything else: the compiled
step, optimizer and schedule, clipping, evaluation, checkpoints (atomic, last N + best by the selected
metric, lower or higher is better), early stopping, step/epoch/time limits, exact resume, Ctrl-C, NaN
detection, tqdm progress, TensorBoard scalars and metrics.jsonl.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from seqkit.checkpoints import (
    CONFIG_FILE,
    CheckpointDir,
    checkpoint_path,
    clear_run,
    load_variables,
    optimizer_names,
    save_data_fingerprint,
    save_variables,
)
from seqkit.config import TrainConfig
from seqkit.errors import ConfigError, TrainingError
from seqkit.inference.runs import load_weights
from seqkit.training import distribute


class Task(Protocol):
    """What a model family gives the trainer."""

    model: keras.Model
    unit: str  # what `count` counts, for throughput: "chars", "tokens", "examples"
    steps_per_epoch: int  # optimizer steps in one pass over the training data
    xla: bool  # whether `--xla auto` compiles its step with XLA: fixed batch shapes, measured faster
    goals: dict[str, str]  # validation metrics that can rank checkpoints: "min" or "max"; first = default

    def batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Endless training batches (NumPy, batch axis first)."""

    def initial_carry(self) -> tuple[np.ndarray, ...]:
        """State carried from one batch to the next (RNN state for streams; empty otherwise)."""

    def loss(self, batch: tuple, carry: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor, tuple]:
        """(sum of per-unit losses in nats, number of units, new carry) for one replica's batch."""

    def evaluate(self) -> dict[str, float]:
        """Validation metrics, among them every key of `goals`."""

    def data_position(self) -> dict[str, np.ndarray]:
        """Where the batch stream is, to be checkpointed."""

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        """Put the batch stream back where `data_position` said."""


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras at once."""
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


class InverseSqrt(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak` at `warmup` steps, then peak * sqrt(warmup / step): the Transformer's
    ("Noam") schedule with the peak given directly. Keras has no such schedule."""

    def __init__(self, peak: float, warmup: int) -> None:
        self.peak, self.warmup = peak, warmup

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        return self.peak * tf.minimum(step / self.warmup, tf.sqrt(self.warmup / step))

    def get_config(self) -> dict:
        return {"peak": self.peak, "warmup": self.warmup}


def make_optimizer(cfg: TrainConfig, run_steps: float = math.inf) -> keras.optimizers.Optimizer:
    """Adam or SGD with the configured schedule and global-norm clipping; decay_steps 0 means the
    whole run (`run_steps`). For mixed_float16 it is wrapped in dynamic loss scaling: float16 gradients
    underflow without it (bfloat16 has float32's range and needs none)."""
    lr: float | keras.optimizers.schedules.LearningRateSchedule = cfg.learning_rate
    decay_steps = cfg.decay_steps or run_steps
    if cfg.schedule in ("exponential", "cosine") and not math.isfinite(decay_steps):
        raise ConfigError("decay_steps 0 decays over the whole run, which needs max_steps or epochs")
    if cfg.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(cfg.learning_rate, decay_steps, cfg.decay_rate,
                                                         staircase=cfg.staircase)
    elif cfg.schedule == "cosine" and cfg.warmup_steps:  # warm-up from 0, then the cosine over the rest
        lr = keras.optimizers.schedules.CosineDecay(0.0, max(1, decay_steps - cfg.warmup_steps),
                                                    alpha=cfg.decay_rate, warmup_target=cfg.learning_rate,
                                                    warmup_steps=cfg.warmup_steps)
    elif cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps, alpha=cfg.decay_rate)
    elif cfg.schedule == "inverse-sqrt":
        lr = InverseSqrt(cfg.learning_rate, cfg.warmup_steps)
    clip = cfg.clip_norm or None
    kind = keras.optimizers.SGD if cfg.optimizer == "sgd" else keras.optimizers.Adam
    optimizer = kind(lr, global_clipnorm=clip)  # clips the unscaled gradients under loss scaling too
    if cfg.precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


@contextlib.contextmanager
def precision(policy: str) -> Iterator[None]:
    """Layers made inside compute under the Keras dtype policy `policy` (their weights stay float32); the
    previous global policy comes back after, so one run's precision never leaks into the next one built
    in the same process (nor into inference, which builds its models in float32)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def selected_metric(task: Task, cfg: TrainConfig) -> tuple[str, str]:
    """(metric, "min" or "max") that ranks checkpoints: cfg.select, else the task's first goal."""
    name = cfg.select or next(iter(task.goals))
    if name not in task.goals:
        raise ConfigError(f"select must be one of {', '.join(task.goals)} for this model, not {name!r}")
    return name, task.goals[name]


def stop_step(task: Task, cfg: TrainConfig) -> float:
    """The step training ends at: the first of max_steps and epochs that is set (inf: max_time only); epochs
    last at least min_steps, so that small data gets more passes."""
    limits = [cfg.max_steps] if cfg.max_steps else []
    if cfg.epochs:
        limits.append(max(cfg.epochs * task.steps_per_epoch, cfg.min_steps))
    return min(limits) if limits else math.inf


def uses_xla(cfg: TrainConfig, task: Task, strategy: tf.distribute.Strategy) -> bool:
    """Whether the step is compiled with XLA: --xla on, or auto for a task it speeds up. Not for replicas
    on CPU devices (mirrored over logical CPUs, CPU workers): XLA cannot read one device's variables
    from another's program, so there --xla on is an error and auto leaves it off."""
    cpu_replicas = strategy.num_replicas_in_sync > 1 and not tf.config.list_logical_devices("GPU")
    if cfg.xla == "on" and cpu_replicas:
        raise ConfigError("--xla on cannot compile a step mirrored over CPU devices; use --xla off or auto")
    return cfg.xla == "on" or (cfg.xla == "auto" and task.xla and not cpu_replicas)


class CtrlC:
    """While installed, a first Ctrl-C (SIGINT) or SIGTERM (`kill`, a job scheduler) only sets `pressed`,
    which the loop checks between steps, so the checkpoint it saves holds whole steps (weights, optimizer,
    data position and step count agree); a second one interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.pressed = False
        self.previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self.previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}

    def _handle(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Runs a task's training in its run directory; `fit` can be resumed exactly from any checkpoint."""

    def __init__(self, task: Task, cfg: TrainConfig, strategy: tf.distribute.Strategy) -> None:
        self.task, self.cfg, self.strategy = task, cfg, strategy
        self.run_dir = distribute.output_dir(strategy, Path(cfg.run))
        self.ckpts = CheckpointDir(self.run_dir, cfg.keep)
        self.select, self.goal = selected_metric(task, cfg)
        self.stop_step = stop_step(task, cfg)
        with strategy.scope():
            self.optimizer = make_optimizer(cfg, self.stop_step)
            self.optimizer.build(task.model.trainable_variables)
        self.eval_every = cfg.eval_every or (task.steps_per_epoch if cfg.epochs else 0)
        self.step = 0
        self.stale = 0  # evaluations since the selected metric last improved, for early stopping
        self.carry = task.initial_carry()
        self.xla = uses_xla(cfg, task, strategy)
        self._train_step = tf.function(self._replica_step, reduce_retracing=True, jit_compile=self.xla)

    # --- checkpoints -------------------------------------------------------------------------------
    def _groups(self) -> dict:
        return {"model": self.task.model, "optimizer": optimizer_names(self.optimizer, self.task.model)}

    def save(self) -> Path:
        """Write ckpt-STEP.h5 with weights, optimizer, step, data position and carried state."""
        arrays = {f"carry_{i}": c for i, c in enumerate(self.carry)} | self.task.data_position()
        path = self.ckpts.path(self.step)
        save_variables(path, self._groups(), arrays, {"step": self.step, "stale": self.stale})
        self.ckpts.prune()
        return path

    def restore(self, path: Path) -> None:
        """Load everything `save` wrote, so training continues as if never stopped."""
        arrays, attrs = load_variables(path, self._groups())
        if self.cfg.schedule == "constant":  # the configured rate, not the saved one: --learning-rate wins
            self.optimizer.learning_rate = self.cfg.learning_rate
        self.step = int(attrs["step"])
        self.stale = int(attrs.get("stale", 0))
        self.carry = tuple(arrays[f"carry_{i}"] for i in range(len(self.carry)))
        self.task.restore_data_position(arrays)

    # --- the step ----------------------------------------------------------------------------------
    def _replica_step(self, batch, carry):
        variables = self.task.model.trainable_variables
        with tf.GradientTape() as tape:
            loss_sum, count, carry = self.task.loss(batch, carry, True)
            # The mean over the global batch: replicas may hold different numbers of units (tokens), so
            # each divides its sum by the count of all of them, and their gradients are summed.
            everyone = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, tf.cast(count, loss_sum.dtype))
            loss = loss_sum / tf.stop_gradient(everyone)
            # Loss scaling (mixed_float16; the loss itself otherwise): apply_gradients divides the
            # gradients by the same scale, and skips a step whose scaled gradients overflowed.
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return loss_sum, count, carry

    def train_step(self, batch: tuple) -> tuple[float, int]:
        """One optimizer step on a global batch; returns (loss sum, units)."""
        args = distribute.split(self.strategy, tuple(batch) + tuple(self.carry))
        n = len(batch)
        loss_sum, count, carry = self.strategy.run(self._train_step, args=(args[:n], args[n:]))
        self.carry = distribute.gather(self.strategy, carry)
        return distribute.total(self.strategy, loss_sum), int(distribute.total(self.strategy, count))

    # --- the loop ----------------------------------------------------------------------------------
    def _log(self, record: dict, writer) -> None:
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as f:  # wall_time: for `seqkit plot`
            f.write(json.dumps(record | {"wall_time": round(time.time(), 3)}) + "\n")
        with writer.as_default(step=record["step"]):
            for key, value in record.items():
                if key not in ("step", "split"):
                    tf.summary.scalar(f"{record['split']}/{key}", value)

    def _evaluate(self, writer) -> dict[str, float]:
        metrics = self.task.evaluate()
        self._log({"step": self.step, "split": "valid", **metrics}, writer)
        value, best = metrics[self.select], self.ckpts.best()
        improved = (best is None or best["metric"] != self.select
                    or not self.ckpts.path(best["step"]).exists()
                    or (value > best["value"] if self.goal == "max" else value < best["value"]))
        self.stale = 0 if improved else self.stale + 1
        path = self.save()
        if improved:
            self.ckpts.mark_best(self.step, self.select, value)
        return {"step": self.step, **metrics, "checkpoint": str(path)}

    def _out_of_patience(self) -> bool:
        return bool(self.cfg.patience) and self.stale >= self.cfg.patience

    def fit(self) -> dict[str, float]:
        """Train until max_steps, epochs, max_time or patience run out; evaluate and checkpoint on the way;
        return the last evaluation's metrics."""
        cfg, task = self.cfg, self.task
        writer = tf.summary.create_file_writer(str(self.run_dir / "logs"))
        batches = task.batches()
        start, last = time.perf_counter(), None
        window_loss, window_count, window_time = 0.0, 0, time.perf_counter()
        bounded = math.isfinite(self.stop_step) and not cfg.max_time  # time ends training at an unknown step
        total = int(self.stop_step) if bounded else None
        bar = tqdm(total=total, initial=self.step, desc="train", unit="step", dynamic_ncols=True,
                   disable=None)
        ctrl_c = CtrlC()
        try:
            while self.step < self.stop_step and not self._out_of_patience():
                if ctrl_c.pressed:
                    raise KeyboardInterrupt
                loss_sum, count = self.train_step(next(batches))
                if not math.isfinite(loss_sum):
                    good = self.ckpts.latest()
                    raise TrainingError(
                        f"the loss became {loss_sum} at step {self.step + 1}; last good checkpoint: "
                        f"{good or 'none'}. Lower --learning-rate or --clip-norm and --resume")
                self.step += 1
                bar.update(1)
                window_loss, window_count = window_loss + loss_sum, window_count + count
                if self.step % cfg.log_every == 0 or self.step == self.stop_step:
                    now = time.perf_counter()
                    nats = window_loss / window_count
                    rate = window_count / (now - window_time)
                    lr = float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))
                    bits = {"bpc": nats / math.log(2)} if task.unit == "chars" else {}  # per character only
                    record = {"step": self.step, "split": "train", "loss": nats, **bits,
                              f"{task.unit}_per_s": rate, "lr": lr}
                    self._log(record, writer)
                    bar.set_postfix(loss=f"{nats:.3f}", **{k: f"{v:.3f}" for k, v in bits.items()},
                                    **{f"{task.unit}/s": f"{rate:,.0f}"})
                    window_loss, window_count, window_time = 0.0, 0, now
                if self.eval_every and self.step % self.eval_every == 0:
                    evaluating = time.perf_counter()
                    last = self._evaluate(writer)
                    # Throughput counts training time only: the window goes on, without the evaluation
                    # (an evaluation between two logs must not drop the time of the steps before it).
                    window_time += time.perf_counter() - evaluating
                    if self._out_of_patience():
                        bar.write(f"early stop at step {self.step}: {self.select} has not improved for "
                                  f"{self.stale} evaluations")
                if cfg.max_time and time.perf_counter() - start >= cfg.max_time:
                    break
        except KeyboardInterrupt:
            bar.close()
            path = self.save()
            print(f"\ninterrupted at step {self.step}; saved {path}. Continue with --resume.")
            raise
        finally:
            ctrl_c.restore()
            bar.close()
            writer.flush()
        if last is None or last.get("step") != self.step:
            last = self._evaluate(writer)
        return last


def train_in_run(cfg: TrainConfig, resume: bool, overwrite: bool, build_task: Callable[[], Task],
                 save_assets: Callable[[Path], None]) -> dict:
    """The lifecycle every `train_*` shares, once prepare_run_dir has checked the run and the data has
    been read (so bad input loses nothing): build the task under the strategy and cfg.precision; restore
    on resume, else empty an overwritten run and start from the --init-from run's weights; write
    config.yaml, data.json and the vocabulary files beside the checkpoints; fit. Returns the last
    validation metrics plus the best checkpoint's step and metric."""
    strategy = distribute.make_strategy(cfg.strategy)
    with strategy.scope(), precision(cfg.precision):
        task = build_task()
    trainer = Trainer(task, cfg, strategy)
    ckpts = CheckpointDir(cfg.run)
    if resume:
        trainer.restore(ckpts.latest())
    else:
        if overwrite:
            clear_run(trainer.run_dir)
        if cfg.init_from:  # the model's weights only (of any seqkit version): a fresh optimizer, step 0
            load_weights(task.model, cfg, checkpoint_path(cfg.init_from))
    cfg.save(trainer.run_dir / CONFIG_FILE)
    save_data_fingerprint(cfg, trainer.run_dir)
    save_assets(trainer.run_dir)
    metrics = trainer.fit()
    best = ckpts.best() or {}
    return metrics | {"best_step": best.get("step"), f"best_{best.get('metric')}": best.get("value")}

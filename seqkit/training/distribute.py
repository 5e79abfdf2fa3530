"""tf.distribute strategy from a flag, and moving NumPy batches and carried state across replicas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.errors import ConfigError


def make_strategy(name: str) -> tf.distribute.Strategy:
    """default: one device; mirrored: every GPU, else every logical CPU; multiworker: from TF_CONFIG."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"unknown strategy {name!r}")


def output_dir(strategy: tf.distribute.Strategy, run_dir: Path) -> Path:
    """Where this process writes checkpoints and logs: the run itself on the chief, a scratch folder
    inside it on other workers (they train in lockstep, so the chief's files are the run's)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return run_dir
    first_worker = resolver.task_type == "worker" and resolver.task_id == 0
    chief = resolver.task_type == "chief" or (first_worker and "chief" not in resolver.cluster_spec().jobs)
    return run_dir if chief else run_dir / f"{resolver.task_type}-{resolver.task_id}"


def split(strategy: tf.distribute.Strategy, arrays: tuple):
    """Give replica r the r-th of n contiguous, near-equal shares of the rows of every array (batches
    by tokens have any number of rows); the global batch order is kept, so carried state lines up with
    the same cursors on every step."""
    n = strategy.num_replicas_in_sync
    if n == 1:
        return tuple(tf.convert_to_tensor(a) for a in arrays)
    rows = len(arrays[0])
    if rows < n:
        raise ConfigError(f"a batch of {rows} row(s) cannot feed {n} replicas: make the batches bigger")
    cuts = [rows * r // n for r in range(n + 1)]

    def part(ctx: tf.distribute.ValueContext):
        r = ctx.replica_id_in_sync_group
        return tuple(tf.convert_to_tensor(a[cuts[r]:cuts[r + 1]]) for a in arrays)

    return strategy.experimental_distribute_values_from_function(part)


def gather(strategy: tf.distribute.Strategy, values) -> tuple[np.ndarray, ...]:
    """Concatenate per-replica tensors of every worker back into global NumPy arrays (batch axis first)."""
    return tuple(strategy.gather(v, axis=0).numpy() for v in values)


def total(strategy: tf.distribute.Strategy, value) -> float:
    """Sum of a per-replica scalar."""
    return float(strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None))

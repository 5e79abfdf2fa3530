"""tf.distribute strategy from a flag, and moving NumPy batches and carried state across replicas."""

from __future__ import annotations

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


def split(strategy: tf.distribute.Strategy, arrays: tuple, batch_size: int):
    """Give replica r rows [r*b, (r+1)*b) of every array (b = batch / replicas); the global batch order
    is kept, so carried state lines up with the same cursors on every step."""
    n = strategy.num_replicas_in_sync
    if batch_size % n:
        raise ConfigError(f"batch size {batch_size} must be a multiple of the {n} replicas")
    if n == 1:
        return tuple(tf.convert_to_tensor(a) for a in arrays)
    per = batch_size // n

    def part(ctx: tf.distribute.ValueContext):
        r = ctx.replica_id_in_sync_group
        return tuple(tf.convert_to_tensor(a[r * per:(r + 1) * per]) for a in arrays)

    return strategy.experimental_distribute_values_from_function(part)


def gather(strategy: tf.distribute.Strategy, values) -> tuple[np.ndarray, ...]:
    """Concatenate per-replica tensors back into global NumPy arrays (batch axis first)."""
    return tuple(np.concatenate([t.numpy() for t in strategy.experimental_local_results(v)])
                 for v in values)


def total(strategy: tf.distribute.Strategy, value) -> float:
    """Sum of a per-replica scalar."""
    return float(strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None))

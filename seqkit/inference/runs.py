"""A run directory as inference reads it: its config, its checkpoints, weights loaded by name."""

from __future__ import annotations

from pathlib import Path

import keras

from seqkit.checkpoints import CheckpointDir, checkpoint_path, load_variables, read_run_config
from seqkit.models.legacy_names import legacy_renamer

__all__ = ["average_path", "checkpoint_path", "load_weights", "read_run_config"]
AVERAGE_FILE = "average.h5"


def average_path(run_dir: str | Path) -> Path:
    """Where averaged weights live (outside the ckpt-STEP.h5 series, so resuming ignores them)."""
    return CheckpointDir(run_dir).dir / AVERAGE_FILE


def load_weights(model: keras.Model, cfg, path: str | Path) -> keras.Model:
    """The model with the weights of checkpoint `path` (of the run `cfg` describes), by name."""
    load_variables(path, {"model": model}, rename=legacy_renamer(cfg))
    return model

"""What inference adds to a run directory: the averaged weights, and weights loaded by name with the
names of earlier seqkit files mapped (training's --init-from loads through it too)."""

from __future__ import annotations

from pathlib import Path

import keras

from seqkit.checkpoints import CheckpointDir, load_variables
from seqkit.models.legacy_names import legacy_renamer

AVERAGE_FILE = "average.h5"


def average_path(run_dir: str | Path) -> Path:
    """Where averaged weights live (outside the ckpt-STEP.h5 series, so resuming ignores them)."""
    return CheckpointDir(run_dir).dir / AVERAGE_FILE


def load_weights(model: keras.Model, cfg, path: str | Path) -> keras.Model:
    """The model with the weights of checkpoint `path` (of the run `cfg` describes), by name."""
    load_variables(path, {"model": model}, rename=legacy_renamer(cfg))
    return model

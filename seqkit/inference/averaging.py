"""Checkpoint averaging: the mean of a run's last checkpoints' weights, loaded as `--checkpoint average`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqkit.checkpoints import CheckpointDir, checkpoint_path, read_run_config, save_variables
from seqkit.config import NMTConfig
from seqkit.errors import CheckpointError
from seqkit.inference.runs import average_path, load_weights
from seqkit.inference.translator import load_model
from seqkit.models.naming import variable_names


def average_checkpoints(run_dir: str | Path, last: int = 0) -> tuple[Path, list[int]]:
    """Average the model weights of the run's last `last` checkpoints (0: all kept) into
    checkpoints/average.h5; returns it and the steps averaged."""
    read_run_config(run_dir, NMTConfig)  # not a run, or not an NMT one: said before "no checkpoints"
    steps = CheckpointDir(run_dir).steps()[-last if last else None:]
    if not steps:
        raise CheckpointError(f"{run_dir}: no checkpoints to average; train first")
    cfg, *_, model = load_model(run_dir, str(steps[0]))
    names = variable_names(model)
    total = {n: v.numpy().astype(np.float64) for n, v in names.items()}
    for step in steps[1:]:
        load_weights(model, cfg, checkpoint_path(run_dir, str(step)))
        for n, v in names.items():
            total[n] += v.numpy()
    for n, v in names.items():
        v.assign((total[n] / len(steps)).astype(v.dtype))
    save_variables(average_path(run_dir), {"model": names}, attrs={"steps": steps})
    return average_path(run_dir), steps

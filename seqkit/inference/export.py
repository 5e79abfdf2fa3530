"""Weights of any run as HDF5 (one dataset per variable under its stable name), and back."""

from __future__ import annotations

from pathlib import Path

import keras

from seqkit import config as config_lib
from seqkit.checkpoints import CONFIG_FILE, load_variables, save_variables
from seqkit.errors import CheckpointError


def load_run_model(run_dir: str | Path, which: str = "best") -> keras.Model:
    """The trained model of a run of any kind (char-rnn, cnn-sentiment, nmt)."""
    from seqkit.inference.classifier import load_classifier
    from seqkit.inference.sampler import load_language_model
    from seqkit.inference.translator import load_model

    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise CheckpointError(f"{run_dir}: not a seqkit run directory (no {CONFIG_FILE})")
    kind = config_lib.load(path).to_dict()["kind"]
    loaders = {"char-rnn": lambda: load_language_model(run_dir, which)[-1],
               "nmt": lambda: load_model(run_dir, which)[-1],
               "cnn-sentiment": lambda: load_classifier(run_dir, which).model}
    if kind not in loaders:
        raise CheckpointError(f"{run_dir}: a {kind} run has no Keras weights to export (its model is "
                              "scikit-learn's, in linear.npz)")
    return loaders[kind]()


def export_h5(run: str | Path, h5: str | Path, checkpoint: str = "best") -> Path:
    """Write the run's model weights to `h5`, atomically; returns the path."""
    save_variables(h5, {"model": load_run_model(run, checkpoint)})
    return Path(h5)


def import_h5(run: str | Path, h5: str | Path) -> keras.Model:
    """The run's model with weights loaded by name from an HDF5 file written by `export_h5`."""
    model = load_run_model(run)
    load_variables(h5, {"model": model})
    return model

"""Run directory I/O: atomic HDF5 checkpoints, keep-last-N and best, config and vocab beside them.

Checkpoints are plain HDF5 written with h5py (one dataset per variable, names kept, in variable order),
not tf.train.Checkpoint: the TF object graph does not see Keras 3 layers held in Python lists, nor
the dropout seed generators, so it silently dropped weights and broke exact resume.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import h5py
import numpy as np

from seqkit import config as config_lib
from seqkit.config import TrainConfig
from seqkit.errors import CheckpointError
from seqkit.fileio import atomic_write, atomic_write_text

CKPT = re.compile(r"ckpt-(\d+)\.h5$")
CONFIG_FILE = "config.yaml"


def relative_name(path: str) -> str:
    """A variable path without its model's instance name ('char_lm_3/lstm_0/...' -> 'lstm_0/...')."""
    return path.split("/", 1)[-1]


def save_variables(path: str | Path, groups: dict, arrays: dict[str, np.ndarray] | None = None,
                   attrs: dict | None = None) -> None:
    """Write variable groups ({name: [variables]}) and plain arrays into one HDF5 file, atomically."""

    def write(tmp: str) -> None:
        with h5py.File(tmp, "w") as f:
            for group, variables in groups.items():
                g = f.create_group(group)
                names = [relative_name(v.path) for v in variables]
                g.attrs["order"] = json.dumps(names)
                if len(set(names)) != len(names):
                    names = [f"{i:04d}/{n}" for i, n in enumerate(names)]
                    g.attrs["order"] = json.dumps(names)
                for name, v in zip(names, variables):
                    g.create_dataset(name, data=np.asarray(v.numpy()))
            for name, value in (arrays or {}).items():
                f.create_dataset(f"arrays/{name}", data=value)
            for key, value in (attrs or {}).items():
                f.attrs[key] = json.dumps(value)

    atomic_write(path, write)


def load_variables(path: str | Path, groups: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Assign saved values to `groups` in order, checking names' count and shapes; return arrays, attrs."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CheckpointError(f"{path}: not a readable checkpoint ({e}); delete it to fall back "
                              "to an earlier one") from None
    with f:
        for group, variables in groups.items():
            if group not in f:
                raise CheckpointError(f"{path}: has no '{group}' weights")
            try:
                saved = [f[group][k] for k in json.loads(f[group].attrs["order"])]
            except (KeyError, ValueError) as e:
                raise CheckpointError(f"{path}: damaged checkpoint ({e})") from None
            if len(saved) != len(variables):
                raise CheckpointError(f"{path}: holds {len(saved)} {group} variables, the model has "
                                      f"{len(variables)}; was it written by another model configuration?")
            for ds, v in zip(saved, variables):
                if tuple(ds.shape) != tuple(v.shape):
                    raise CheckpointError(
                        f"{path}: {ds.name} has shape {tuple(ds.shape)} but the model's "
                        f"{relative_name(v.path)} has {tuple(v.shape)}; the checkpoint belongs to a "
                        "different model or alphabet")
            for ds, v in zip(saved, variables):
                v.assign(ds[()])
        arrays = {k: f["arrays"][k][()] for k in f.get("arrays", {})}
        attrs = {k: json.loads(v) for k, v in f.attrs.items()}
    return arrays, attrs


class CheckpointDir:
    """`run/checkpoints/`: ckpt-STEP.h5 files, the last `keep` of them plus the best by a metric."""

    def __init__(self, run_dir: str | Path, keep: int = 3) -> None:
        self.dir = Path(run_dir) / "checkpoints"
        self.keep = keep

    def steps(self) -> list[int]:
        """Saved steps, oldest first."""
        if not self.dir.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.dir.iterdir() if (m := CKPT.match(p.name)))

    def path(self, step: int) -> Path:
        return self.dir / f"ckpt-{step}.h5"

    def latest(self) -> Path | None:
        """The newest checkpoint, or None."""
        steps = self.steps()
        return self.path(steps[-1]) if steps else None

    @property
    def best_file(self) -> Path:
        return self.dir / "best.json"

    def best(self) -> dict | None:
        """{'step': ..., 'metric': ..., 'value': ...} of the best checkpoint, or None."""
        return json.loads(self.best_file.read_text()) if self.best_file.exists() else None

    def mark_best(self, step: int, metric: str, value: float) -> None:
        atomic_write_text(self.best_file, json.dumps({"step": step, "metric": metric, "value": value}))

    def prune(self) -> None:
        """Delete all but the last `keep` checkpoints and the best one."""
        best = (self.best() or {}).get("step")
        for step in self.steps()[:-self.keep]:
            if step != best:
                self.path(step).unlink(missing_ok=True)


def checkpoint_path(run_dir: str | Path, which: str = "best") -> Path:
    """The 'best', 'latest' or a numbered checkpoint of a run; CheckpointError if there is none."""
    ckpts = CheckpointDir(run_dir)
    if which == "best" and (best := ckpts.best()) and ckpts.path(best["step"]).exists():
        return ckpts.path(best["step"])
    path = ckpts.latest() if which in ("best", "latest") else ckpts.path(int(which))
    if path is None or not path.exists():
        raise CheckpointError(f"{run_dir}: no checkpoint {'' if which in ('best', 'latest') else which} "
                              "found; train first with `seqkit train MODEL --run DIR`")
    return path


def prepare_run_dir(cfg: TrainConfig, resume: bool, overwrite: bool) -> CheckpointDir:
    """Refuse to clobber a trained run unless asked; make sure a resume has something to resume."""
    run, ckpts = Path(cfg.run), CheckpointDir(cfg.run, cfg.keep)
    if resume and not ckpts.steps():
        raise CheckpointError(f"{run}: nothing to resume (no checkpoints); drop --resume to start training")
    if not resume and ckpts.steps():
        if not overwrite:
            raise CheckpointError(f"{run} already holds checkpoints; pass --resume to continue that run, "
                                  "--overwrite to discard it, or --run NEW_DIR")
        shutil.rmtree(ckpts.dir)
        for name in ("metrics.jsonl", "logs"):
            path = run / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    return ckpts


def read_run_config(run_dir: str | Path, cls: type) -> TrainConfig:
    """The validated config.yaml of a run directory; CheckpointError if it is not a run."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise CheckpointError(f"{run_dir}: not a seqkit run directory (no {CONFIG_FILE})")
    return config_lib.load(path, cls)

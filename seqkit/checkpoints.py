"""Run directory I/O: atomic HDF5 checkpoints, keep-last-N and best, config and vocab beside them.

Checkpoints are plain HDF5 written with h5py (one dataset per variable under its stable name, see
seqkit.models.naming, loaded by name), not tf.train.Checkpoint: the TF object graph does not see Keras 3
layers held in Python lists, nor the dropout seed generators, so it silently dropped weights and broke
exact resume.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np

from seqkit import config as config_lib
from seqkit.config import TrainConfig
from seqkit.data.subword import SUFFIX
from seqkit.errors import CheckpointError, ConfigError, DataError
from seqkit.fileio import atomic_write, atomic_write_text
from seqkit.models.naming import variable_names

CKPT = re.compile(r"ckpt-(\d+)\.h5$")
CONFIG_FILE = "config.yaml"
LINEAR_FILE = "linear.npz"  # a linear classifier's fitted model
DATA_FILE = "data.json"  # fingerprints of the training and validation files, checked on --resume
# Every file seqkit writes into a run directory: --overwrite removes these and nothing else.
RUN_FILES = (CONFIG_FILE, DATA_FILE, "checkpoints", "metrics.jsonl", "logs", "alphabet.json", "vocab.txt",
             "classes.json", LINEAR_FILE,
             *(side + suffix for side in ("src", "tgt") for suffix in set(SUFFIX.values())))


FORMAT = 2  # 2: variables stored under stable names (seqkit.models.naming); 1 (no attribute): Keras paths
# The names of mixed_float16's loss-scale state: optional on load, so that a run resumed in another precision
# starts a fresh loss scale or drops it, and its weights and optimizer slots load all the same.
LOSS_SCALE = "loss_scale/"
Variables = dict  # {stable name: variable}


def named(obj) -> Variables:
    """The {name: variable} a group stores: a model's by attribute path, an optimizer's by its model's."""
    if isinstance(obj, dict):
        return obj
    return variable_names(obj)


def optimizer_names(optimizer: keras.optimizers.Optimizer, model: keras.Model) -> Variables:
    """The optimizer's variables under stable names: `iteration`, and each slot as
    `MODEL VARIABLE NAME/momentum` (Keras names a slot after its variable's unstable path). Loss scaling
    (mixed_float16) adds `loss_scale/dynamic_scale` and `loss_scale/step_counter` to its inner optimizer's
    names (its own iteration and learning rate are unused copies of the inner one's)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer_names(optimizer.inner_optimizer, model) | {
            LOSS_SCALE + v.name: v for v in (optimizer.dynamic_scale, optimizer.step_counter)}
    by_path = sorted(((v.path.replace("/", "_"), n) for n, v in variable_names(model).items()),
                     key=lambda item: -len(item[0]))
    names: Variables = {}
    for v in optimizer.variables:
        slot = ((n, v.name[len(p) + 1:]) for p, n in by_path if v.name.startswith(p + "_"))
        names["/".join(next(slot, (v.name,)))] = v
    return names


def save_variables(path: str | Path, groups: dict, arrays: dict[str, np.ndarray] | None = None,
                   attrs: dict | None = None) -> None:
    """Write variable groups ({group: model, optimizer names or {name: variable}}) and plain arrays
    into one HDF5 file, atomically."""

    def write(tmp: str) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            for group, variables in groups.items():
                g = f.create_group(group)
                for name, v in named(variables).items():
                    g.create_dataset(name, data=np.asarray(v.numpy()))
            for name, value in (arrays or {}).items():
                f.create_dataset(f"arrays/{name}", data=value)
            for key, value in (attrs or {}).items():
                f.attrs[key] = json.dumps(value)

    atomic_write(path, write)


def _saved(path: Path, f: h5py.File, group: str, legacy: bool,
           rename: Callable[[str], str | None] | None) -> dict:
    """{name: dataset} of a group, today's names for a (legacy) file written before stable names."""
    if group not in f:
        raise CheckpointError(f"{path}: has no '{group}' weights")
    g = f[group]
    if not legacy:
        found: dict = {}

        def add(name: str, obj) -> None:  # visititems stops at the first callback that returns a value
            if isinstance(obj, h5py.Dataset):
                found[name] = obj

        g.visititems(add)
        return found
    if rename is None:
        raise CheckpointError(f"{path}: written by an earlier seqkit, whose {group} state cannot be resumed; "
                              "start a new run from it with --init-from")
    try:
        old = [(k, g[k]) for k in json.loads(g.attrs["order"])]
    except (KeyError, ValueError) as e:
        raise CheckpointError(f"{path}: damaged checkpoint ({e})") from None
    return {new: ds for k, ds in old if (new := rename(k))}


def _listing(names) -> str:
    names = sorted(names)
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def load_variables(path: str | Path, groups: dict,
                   rename: Callable[[str], str | None] | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Assign saved values to `groups` (as for save_variables) by name, checking names and shapes;
    return the file's arrays and attributes. `rename` maps the names of a file written before stable
    names (seqkit.models.legacy_names); dropout RNG states it cannot name keep their values."""
    try:
        with h5py.File(path, "r") as f:
            return _load_open(Path(path), f, groups, rename)
    except (OSError, RuntimeError, KeyError, ValueError) as e:  # HDF5's errors for truncated or garbled files
        raise CheckpointError(f"{path}: not a readable checkpoint ({' '.join(str(e).split())}); delete it "
                              "to fall back to an earlier one") from None


def _load_open(path: Path, f: h5py.File, groups: dict,
               rename: Callable[[str], str | None] | None) -> tuple[dict[str, np.ndarray], dict]:
    """load_variables on the open file `f` (whose damage shows as h5py errors anywhere in here)."""
    legacy = int(f.attrs.get("format", 1)) < FORMAT
    for group, variables in groups.items():
        variables = named(variables)
        saved = _saved(path, f, group, legacy, rename)
        missing = [n for n in variables if n not in saved and not n.startswith(LOSS_SCALE)
                   and not (legacy and n.endswith("seed_generator/state"))]
        unexpected = [n for n in saved if n not in variables and not n.startswith(LOSS_SCALE)]
        saved = {n: ds for n, ds in saved.items() if n in variables}
        if missing or unexpected:
            raise CheckpointError(
                f"{path}: its {group} variables do not match the model (was it written by another "
                f"configuration?); missing: {_listing(missing) or 'none'}; unexpected: "
                f"{_listing(unexpected) or 'none'}")
        for name, ds in saved.items():
            v = variables[name]
            if tuple(ds.shape) != tuple(v.shape):
                raise CheckpointError(
                    f"{path}: {group}/{name} has shape {tuple(ds.shape)} but the model's has "
                    f"{tuple(v.shape)}; the checkpoint belongs to a different model, alphabet or "
                    "vocabulary")
        for name, ds in saved.items():
            variables[name].assign(ds[()])
    arrays = {k: f["arrays"][k][()] for k in f.get("arrays", {})}
    attrs = {k: json.loads(v) for k, v in f.attrs.items() if k != "format"}
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
        """{'step': ..., 'metric': ..., 'value': ...} of the best checkpoint, or None; a damaged best.json
        is a CheckpointError naming it (not a JSON traceback, nor a silent fall-back to the latest)."""
        if not self.best_file.exists():
            return None
        try:
            best = json.loads(self.best_file.read_text("utf-8"))
            return {"step": int(best["step"]), "metric": str(best["metric"]), "value": float(best["value"])}
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{self.best_file}: damaged (not the step, metric and value of the best "
                                  "checkpoint); delete it to use the latest checkpoint") from None

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
    if which not in ("best", "latest") and not str(which).isdigit():
        raise CheckpointError(f"--checkpoint takes best, latest or a step number (NMT runs: also average), "
                              f"not {which!r}")
    steps = ckpts.steps()
    if not steps:
        raise CheckpointError(f"{run_dir}: no checkpoint found; train first with `seqkit train MODEL --run "
                              "DIR`")
    if which == "best" and (best := ckpts.best()) and ckpts.path(best["step"]).exists():
        return ckpts.path(best["step"])
    if which in ("best", "latest"):
        return ckpts.path(steps[-1])
    if int(which) not in steps:
        raise CheckpointError(f"{run_dir}: no checkpoint of step {which}; it has steps "
                              f"{', '.join(map(str, steps))}")
    return ckpts.path(int(which))


def prepare_run_dir(cfg: TrainConfig, resume: bool, overwrite: bool) -> CheckpointDir:
    """Check the run directory before any data is read: refuse to clobber a run unless asked (`clear_run`
    empties it later, once the data has been read), make sure a resume has something to continue on the
    same data and that an --init-from run fits; create the directory and make sure it can be written."""
    run, ckpts = Path(cfg.run), CheckpointDir(cfg.run, cfg.keep)
    if resume:
        if not ckpts.steps():
            raise CheckpointError(f"{run}: nothing to resume (no checkpoints); drop --resume to start "
                                  "training")
        if cfg.init_from != read_run_config(run, type(cfg)).init_from:
            raise ConfigError("--init-from starts a new run from another run's weights and --resume "
                              "continues this one: drop one of them")
        check_same_data(cfg, run)
    else:
        refuse_clobber(run, overwrite, "--resume to continue it, ")
        if cfg.init_from:
            check_init_from(cfg)
    writable_run_dir(run)
    return ckpts


def refuse_clobber(run: Path, overwrite: bool, resume_hint: str = "") -> None:
    """CheckpointError if `run` holds a run and --overwrite was not given, or if --overwrite would empty a
    folder that is not a run."""
    if is_run(run) and not overwrite:
        raise CheckpointError(f"{run} already holds a run; pass {resume_hint}--overwrite to discard it, or "
                              "--run NEW_DIR")
    if overwrite and run.is_dir() and not is_run(run) and any(run.iterdir()):
        raise CheckpointError(f"{run} is not a seqkit run (no {CONFIG_FILE} or checkpoints/), so "
                              "--overwrite leaves its files alone: give a new or empty --run")


def writable_run_dir(run: Path) -> None:
    """Create the run directory and make sure it can be written."""
    run.mkdir(parents=True, exist_ok=True)
    if not os.access(run, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "cannot write into the run directory", str(run))


def read_run_config(run_dir: str | Path, cls: type | None = None) -> TrainConfig:
    """The validated config.yaml of a run directory (of kind `cls`, else of its own); CheckpointError if it
    is not a run."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise CheckpointError(f"{run_dir}: not a seqkit run directory (no {CONFIG_FILE})")
    return config_lib.load(path, cls)


def is_run(path: Path) -> bool:
    """Whether `path` holds a seqkit run: its config or its checkpoints."""
    return (path / CONFIG_FILE).is_file() or (path / "checkpoints").is_dir()


def clear_run(run: Path) -> None:
    """Remove every file an earlier run wrote into `run`, vocabularies too, so that none outlives it."""
    for name in RUN_FILES:
        path = run / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def asset_source(cfg: TrainConfig, resume: bool) -> Path | None:
    """The run whose alphabet or vocabulary this training reuses, so that ids match its weights: its own
    on resume, the --init-from run, or None (build them from the data)."""
    if resume:
        return Path(cfg.run)
    return Path(cfg.init_from) if cfg.init_from else None


def init_source(cfg: TrainConfig) -> TrainConfig:
    """The config of cfg's --init-from run, once checked: another run, of the same kind, with a checkpoint."""
    source = Path(cfg.init_from)
    if source.resolve() == Path(cfg.run).resolve():
        raise ConfigError(f"--init-from {source} names the run being written: give another --run")
    theirs = read_run_config(source)
    if type(theirs) is not type(cfg):
        raise ConfigError(f"--init-from {source} is a {config_lib.KINDS_BY_CLASS[type(theirs)]} run, not "
                          f"{config_lib.KINDS_BY_CLASS[type(cfg)]}")
    checkpoint_path(source)
    return theirs


def check_init_from(cfg: TrainConfig) -> None:
    """ConfigError naming the model settings in which cfg differs from its --init-from run's."""
    theirs = init_source(cfg)
    differ = [f"{name} {getattr(theirs, name)!r} (not {getattr(cfg, name)!r})" for name in cfg.model_fields
              if getattr(cfg, name) != getattr(theirs, name)]
    if differ:
        raise ConfigError(f"--init-from {cfg.init_from}: its model has {', '.join(differ)}; drop those "
                          "settings (the model's come from that run) or train from scratch")


def fingerprint(path: str) -> dict[str, Any]:
    """Path, size and sha256 of a data file, or of a folder's files (names and contents) together."""
    root = Path(path)
    if not root.exists():
        raise DataError(f"{path}: no such file or folder")
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    digest, size = hashlib.sha256(), 0
    for file in files:
        if file != root:
            digest.update(f"{file.relative_to(root)}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        size += file.stat().st_size
    return {"path": path, "size": size, "sha256": digest.hexdigest()}


def data_fingerprint(cfg: TrainConfig) -> dict[str, Any]:
    """What data.json records: the fingerprint of each data file given, or what leaving it empty means."""
    return {name: fingerprint(path) if (path := getattr(cfg, name)) else empty
            for name, empty in cfg.data_fields.items()}


def save_data_fingerprint(cfg: TrainConfig, run_dir: Path) -> None:
    """Write data.json, which --resume checks."""
    atomic_write_text(run_dir / DATA_FILE, json.dumps(data_fingerprint(cfg), indent=2) + "\n")


def check_same_data(cfg: TrainConfig, run: Path) -> None:
    """ConfigError unless cfg's data files are those the run was trained on (a run from before data.json is
    not checked)."""
    path = run / DATA_FILE
    if not path.exists():
        return
    saved, now = json.loads(path.read_text("utf-8")), data_fingerprint(cfg)

    def content(entry: Any) -> Any:
        return entry["sha256"] if isinstance(entry, dict) else entry

    def shown(name: str, entry: Any) -> str:
        flag = "--" + name.replace("_", "-")
        if isinstance(entry, dict):
            return f"{flag} {entry['path']} ({entry['size']:,} bytes, sha256 {entry['sha256'][:12]})"
        return f"no {flag} ({entry})"

    for name, entry in now.items():
        if content(saved.get(name)) != content(entry):
            raise ConfigError(f"{run} was trained on {shown(name, saved.get(name))}, not "
                              f"{shown(name, entry)}: --resume continues a run on its own data. To train its "
                              f"weights on other data, start a new run: --init-from {run} --run NEW_DIR")

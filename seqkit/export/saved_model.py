"""`export_saved_model`: any run as a SavedModel directory, written whole or not at all."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from seqkit.checkpoints import CONFIG_FILE, read_run_config
from seqkit.errors import ConfigError, DataError

SIGNATURES = {"char-rnn": "generate", "nmt": "translate", "cnn-sentiment": "classify"}


def run_module(run: str | Path, checkpoint: str, max_beam: int) -> tuple[tf.Module, str]:
    """The export module of a run, by its kind, and the name of its signature."""
    from seqkit.export.char_lm import CharLMExport
    from seqkit.export.classifier import ClassifierExport
    from seqkit.export.nmt import NMTExport
    from seqkit.inference.classifier import load_classifier
    from seqkit.inference.sampler import load_language_model
    from seqkit.inference.translator import load_model

    kind = read_run_config(run).to_dict()["kind"]
    if kind not in SIGNATURES:
        raise ConfigError(f"{run}: a {kind} run has no SavedModel form (its model is scikit-learn's); "
                          "`seqkit classify`, `evaluate` and `serve` use it as it is")
    if kind == "char-rnn":
        _, alphabet, model = load_language_model(run, checkpoint)
        module = CharLMExport(model, alphabet)
    elif kind == "nmt":
        _, src, tgt, model = load_model(run, checkpoint)
        module = NMTExport(model, src, tgt, max_beam)
    else:
        clf = load_classifier(run, checkpoint)
        module = ClassifierExport(clf.model, clf.cfg, clf.vocab, clf.classes)
    return module, SIGNATURES[kind]


def export_saved_model(run: str | Path, out: str | Path, checkpoint: str = "best", max_beam: int = 8,
                       overwrite: bool = False) -> Path:
    """Write the run's model with its tokenizers as a SavedModel at `out` (its signature: `generate`,
    `translate` or `classify`; the run's config.yaml rides along in assets.extra). It is written beside
    `out` and renamed into place, so a failed export leaves nothing, and an existing `out` is replaced only
    with `overwrite`."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} exists; give --overwrite to replace it")
    # --overwrite deletes the folder: only an earlier export (or an empty folder), never a user's files
    if out.exists() and not (out.is_dir() and ((out / "saved_model.pb").is_file() or not any(out.iterdir()))):
        raise ConfigError(f"{out} is not a SavedModel (no saved_model.pb), so --overwrite leaves it alone; "
                          "give a new path")
    if not out.parent.is_dir():
        raise DataError(f"{out}: the folder {out.parent} does not exist")
    module, name = run_module(run, checkpoint, max_beam)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part"))
    try:
        function = getattr(module, name)
        tf.saved_model.save(module, str(tmp), signatures={name: function.get_concrete_function(),
                                                         "serving_default": function.get_concrete_function()})
        (tmp / "assets.extra").mkdir(exist_ok=True)
        shutil.copy(Path(run) / CONFIG_FILE, tmp / "assets.extra" / CONFIG_FILE)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out

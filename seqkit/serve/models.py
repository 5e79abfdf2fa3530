"""The models a server holds: each run loaded once, as a function over a batch of items.

A run is named by its directory name, or by NAME in a `NAME=DIR` argument (for two runs whose folders
share a name); word vectors for /wmd are named by their file name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqkit.checkpoints import read_run_config
from seqkit.errors import ConfigError
from seqkit.serve.batcher import RunBatch

WMD_KIND = "wmd"
CLASSIFIER_KIND = "classifier"  # what CNN and linear runs are served as
ENDPOINTS = {"nmt": "/translate", "char-rnn": "/sample", CLASSIFIER_KIND: "/classify", WMD_KIND: "/wmd"}
WMD_BATCH = 64  # pairs per call: WMD is solved pair by pair, so this only bounds a call's length


@dataclass
class Served:
    """A loaded model: its name, its kind, and `run_batch(key, items) -> results` with its batch size."""

    name: str
    kind: str
    run_batch: RunBatch
    batch_size: int

    @property
    def endpoint(self) -> str:
        return ENDPOINTS[self.kind]


def named_run(arg: str) -> tuple[str, Path]:
    """(name, directory) of a DIR or NAME=DIR argument."""
    if "=" in arg and not Path(arg).exists():
        name, path = arg.split("=", 1)
        if name:
            return name, Path(path)
    path = Path(arg)
    return path.resolve().name, path


def translator_model(name: str, run: Path, checkpoint: str) -> Served:
    """An NMT run: key DecodeOptions, items source sentences, results translations."""
    from seqkit.decoding import defaults
    from seqkit.decoding.options import SEARCH
    from seqkit.inference.translator import load_translator

    translator = load_translator(run, checkpoint)
    translator.translate(["."], SEARCH)  # compile the default search now, not in the first request
    return Served(name, "nmt",
                  lambda options, lines: translator.translate(lines, options, defaults.MAX_SOURCE),
                  translator.cfg.eval_batch_size)


def generator_model(name: str, run: Path, checkpoint: str) -> Served:
    """A character LM: key DecodeOptions, items (prime, length, num_samples), results lists of samples.
    Requests are not merged (batch 1): a batch holds the samples of one prime."""
    from seqkit.inference.sampler import load_generator

    generator = load_generator(run, checkpoint)
    return Served(name, "char-rnn",
                  lambda options, jobs: [generator.generate(*job, options) for job in jobs], 1)


def classifier_model(name: str, run: Path, checkpoint: str) -> Served:
    """A classifier (a CNN or a linear run): items texts, results {'label', 'probs'}."""
    from seqkit.inference.classifier import classify, load_classifier

    clf = load_classifier(run, checkpoint)
    clf.probabilities(["."])  # compile now, not in the first request
    return Served(name, CLASSIFIER_KIND, lambda _, texts: classify(clf, texts), clf.batch_size)


def wmd_model(vectors: Path) -> Served:
    """Word vectors with `seqkit wmd`'s defaults: items (sentence, sentence), results distances (inf when
    a side has no word in the vocabulary)."""
    from seqkit.embeddings.vectors import load_vectors
    from seqkit.metrics.wmd import WordMover

    mover = WordMover(load_vectors(vectors))

    def distances(_, pairs: list) -> list[float]:
        with warnings.catch_warnings():  # out-of-vocabulary sides: the inf says it
            warnings.simplefilter("ignore")
            return [mover.distance(a, b) for a, b in pairs]

    return Served(vectors.name, WMD_KIND, distances, WMD_BATCH)


LOADERS = {"nmt": translator_model, "char-rnn": generator_model, "cnn-sentiment": classifier_model,
           "linear": classifier_model}


def load_models(runs: Sequence[str], checkpoint: str = "best", vectors: str | None = None) -> list[Served]:
    """Every run (and the vectors) loaded, in the order given; SeqkitError for a bad run or a name clash."""
    if not runs and not vectors:
        raise ConfigError("give at least one run directory (or --vectors FILE for /wmd)")
    named = [named_run(arg) for arg in runs]
    seen: dict[str, Path] = {}
    for name, path in named + ([(Path(vectors).name, Path(vectors))] if vectors else []):
        if name in seen:
            raise ConfigError(f"{seen[name]} and {path} are both named {name!r}; name them apart with "
                              "NAME=DIR")
        seen[name] = path
    models = []
    for name, path in named:
        kind = read_run_config(path).to_dict()["kind"]
        if kind not in LOADERS:
            raise ConfigError(f"{path}: runs of kind {kind!r} cannot be served")
        models.append(LOADERS[kind](name, path, checkpoint))
    return models + ([wmd_model(Path(vectors))] if vectors else [])

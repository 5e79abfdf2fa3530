"""One dataclass per command: defaults and help in one place, flags generated from it, validated once.

A config is saved as `config.yaml` in the run directory, so sampling, evaluation and resuming rebuild
the model from the run alone. Command-line flags are generated from the fields (`--seq-len 100`), and
`--config FILE.yaml` loads a file that flags then override.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from seqkit.errors import ConfigError
from seqkit.fileio import atomic_write_text


def opt(default: Any, help: str, choices: tuple | None = None) -> Any:
    """A config field with its help text (and allowed values), shown by --help."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass
class TrainConfig:
    """What every trainer needs: optimisation, schedule, checkpoints, evaluation, reproducibility."""

    run: str = opt("runs/model", "run directory: config, vocabulary, checkpoints, metrics, logs")
    seed: int = opt(0, "seeds Python, NumPy and TensorFlow; same seed, same numbers on CPU")
    max_steps: int = opt(2000, "stop after this many training steps")
    max_time: float = opt(0.0, "also stop after this many seconds of training (0: no limit)")
    optimizer: str = opt("adam", "optimizer", ("adam", "sgd"))
    learning_rate: float = opt(2e-3, "initial learning rate")
    schedule: str = opt("constant", "learning-rate schedule", ("constant", "exponential", "cosine"))
    decay_steps: int = opt(1000, "exponential: steps per decay; cosine: steps to reach the floor")
    decay_rate: float = opt(0.5, "exponential: factor per decay_steps; cosine: final fraction of the rate")
    staircase: bool = opt(True, "exponential: decay in steps (the seed's schedule) instead of smoothly")
    clip_norm: float = opt(5.0, "clip gradients to this global norm (0: no clipping)")
    eval_every: int = opt(500, "evaluate on the validation split every N steps (0: only at the end)")
    log_every: int = opt(20, "write training metrics every N steps")
    keep: int = opt(3, "keep the last N checkpoints (the best one is always kept)")
    strategy: str = opt("default", "tf.distribute strategy", ("default", "mirrored", "multiworker"))

    def validate(self) -> None:
        """Check every field against its type, choices and range; raise ConfigError on the first bad one."""
        for f in fields(self):
            value, choices = getattr(self, f.name), f.metadata.get("choices")
            if choices and value not in choices:
                raise ConfigError(f"{f.name} must be one of {', '.join(map(str, choices))}, not {value!r}")
        for name in ("max_steps", "log_every", "keep"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be positive, not {self.learning_rate}")
        for name in ("max_time", "clip_norm", "eval_every"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, with its kind, for config.yaml."""
        return {"kind": KINDS_BY_CLASS[type(self)], **dataclasses.asdict(self)}

    def save(self, path: str | Path) -> None:
        """Write config.yaml atomically."""
        atomic_write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False))


def from_dict(data: dict[str, Any], cls: type | None = None) -> TrainConfig:
    """Build and validate a config from plain data; unknown keys are an error, not silently ignored."""
    data = dict(data)
    kind = data.pop("kind", None)
    cls = cls or CONFIG_KINDS.get(kind)
    if cls is None:
        raise ConfigError(f"unknown config kind {kind!r}; expected one of {', '.join(CONFIG_KINDS)}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
    cfg = cls(**data)
    cfg.validate()
    return cfg


def load(path: str | Path, cls: type | None = None) -> TrainConfig:
    """Read and validate a config.yaml."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the config ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys to values")
    return from_dict(data, cls)


def add_flags(parser: argparse.ArgumentParser, cls: type, **defaults: Any) -> None:
    """Add one --flag per field of `cls` (with `defaults` overriding the class's), plus --config."""
    parser.add_argument("--config", metavar="YAML", help="load settings from a YAML file; flags override it")
    for f in fields(cls):
        flag = "--" + f.name.replace("_", "-")
        default = defaults.get(f.name, f.default)
        kw: dict[str, Any] = {"help": f.metadata["help"] + " (default: %(default)s)", "dest": f.name}
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, **kw)
        else:
            parser.add_argument(flag, type=type(f.default), default=default, metavar=f.name.upper(),
                                choices=f.metadata.get("choices"), **kw)


def from_args(args: argparse.Namespace, cls: type, parser: argparse.ArgumentParser,
              base: dict[str, Any] | None = None) -> TrainConfig:
    """The config a command line asks for: defaults < `base` (a saved run's) < --config < explicit flags."""
    values = {f.name: getattr(args, f.name) for f in fields(cls)}
    given = {f.name for f in fields(cls) if getattr(args, f.name) != parser.get_default(f.name)}
    layers = [dict(base or {})]
    if args.config:
        layers.append(load(args.config, cls).to_dict())
    for layer in layers:
        layer.pop("kind", None)
        values = {k: (values[k] if k in given else layer.get(k, values[k])) for k in values}
    return from_dict(values, cls)


@dataclass
class CharRNNConfig(TrainConfig):
    """`seqkit train char-rnn`: data, alphabet, model and batching for character language models."""

    run: str = opt("runs/char-rnn", "run directory: config, alphabet, checkpoints, metrics, logs")
    data: str = opt("", "training text (UTF-8); empty: the embedded Shakespeare corpus")
    valid: str = opt("", "validation text; empty: the last valid_fraction of the training text")
    valid_fraction: float = opt(0.1, "share of the text held out for validation when --valid is not given")
    alphabet: str = opt("auto", "auto: every character of the text; text8: space and a-z",
                        ("auto", "text8"))
    unknown: str = opt("error", "characters outside the alphabet: stop with an error, or map to <unk>",
                       ("error", "unk"))
    cell: str = opt("lstm", "lstm, gru, rnn1 (hidden-state feedback) or rnn2 (output feedback)",
                    ("lstm", "gru", "rnn1", "rnn2"))
    layers: int = opt(1, "stacked recurrent layers (lstm, gru)")
    units: int = opt(512, "units per recurrent layer")
    embedding_dim: int = opt(64, "character embedding size (lstm, gru)")
    activation: str = opt("tanh", "rnn1 hidden activation", ("tanh", "relu"))
    dropout: float = opt(0.0, "dropout between layers (lstm, gru)")
    batch_size: int = opt(64, "B: cursors (parallel streams) per step")
    seq_len: int = opt(100, "T: unrollings per step (truncated backpropagation length)")
    eval_batch_size: int = opt(128, "streams used to evaluate the validation split")

    def validate(self) -> None:
        super().validate()
        for name in ("layers", "units", "embedding_dim", "batch_size", "seq_len", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), not {self.dropout}")
        if not 0 < self.valid_fraction < 1:
            raise ConfigError(f"valid_fraction must be in (0, 1), not {self.valid_fraction}")


CONFIG_KINDS: dict[str, type] = {"char-rnn": CharRNNConfig}
KINDS_BY_CLASS = {cls: kind for kind, cls in CONFIG_KINDS.items()}

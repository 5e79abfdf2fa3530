"""`seqkit train MODEL`: train a model into a run directory (`--resume` continues it exactly)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seqkit import config as config_lib
from seqkit.config import CharRNNConfig


def register(sub: argparse._SubParsersAction) -> None:
    """Add `train` and one sub-verb per model family."""
    p = sub.add_parser("train", help="train a model", description="Train a model into a run directory.")
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    c = models.add_parser("char-rnn", help="character language model (LSTM, GRU, vanilla RNNs)",
                          description="Train a character language model. With no --data it trains on the "
                          "embedded Shakespeare corpus. Ctrl-C saves a checkpoint; --resume continues.")
    config_lib.add_flags(c, CharRNNConfig)
    c.add_argument("--resume", action="store_true", help="continue the run in --run from its last checkpoint")
    c.add_argument("--overwrite", action="store_true", help="discard the checkpoints already in --run")
    c.set_defaults(func=run_char_rnn, parser=c)


def config_for(args: argparse.Namespace, cls: type) -> config_lib.TrainConfig:
    """The run's saved config when resuming (flags given explicitly override it), else the flags."""
    saved = Path(args.run) / "config.yaml"
    base = config_lib.load(saved, cls).to_dict() if args.resume and saved.exists() else None
    return config_lib.from_args(args, cls, args.parser, base)


def run_char_rnn(args: argparse.Namespace) -> int:
    from seqkit.api import train_char_rnn  # TensorFlow loads only when a command needs it

    cfg = config_for(args, CharRNNConfig)
    metrics = train_char_rnn(cfg, resume=args.resume, overwrite=args.overwrite)
    shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
    print(" ".join(f"{k}={v}" for k, v in shown.items()))
    return 0



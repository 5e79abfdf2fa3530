"""`seqkit train MODEL`: train a model into a run directory (`--resume` continues it exactly)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seqkit import config as config_lib
from seqkit.config import CharRNNConfig, CNNSentimentConfig, LinearConfig, NMTConfig


def register(sub: argparse._SubParsersAction) -> None:
    """Add `train` and one sub-verb per model family."""
    p = sub.add_parser("train", help="train a model", description="Train a model into a run directory.")
    models = p.add_subparsers(dest="family", metavar="MODEL", required=True)
    add_model(models, "char-lm", CharRNNConfig, run_char_rnn,
              "character language model (LSTM, GRU, vanilla RNNs, Transformer); also `char-rnn`",
              "Train a character language model. With no --data it trains on the embedded Shakespeare "
              "corpus. --cell transformer trains a decoder-only Transformer (with its own defaults for "
              "the settings not given). Ctrl-C saves a checkpoint; --resume continues.", aliases=["char-rnn"])
    add_model(models, "cnn-sentiment", CNNSentimentConfig, run_cnn_sentiment,
              "Kim's (2014) CNN text classifier (sentiment, any labels)",
              "Train a CNN text classifier on labelled text: a CSV/TSV file with label and text columns, "
              "or a folder per class. --epochs sets the steps from the data size (ceil(examples / "
              "batch_size) steps an epoch); with --max-steps too, training stops at whichever comes "
              "first. The best checkpoint by the validation --select metric is what classify and "
              "evaluate use. Ctrl-C saves a checkpoint; --resume continues.")
    add_model(models, "linear", LinearConfig, run_linear,
              "TF-IDF word and character n-grams with logistic regression (scikit-learn): the baseline, and "
              "often the best model for small data",
              "Fit a linear text classifier on labelled text (the same data flags as cnn-sentiment): TF-IDF "
              "word n-grams over the --tokenizer's tokens and character n-grams inside words, and "
              "logistic regression with C chosen on the validation data. The run directory works with "
              "classify, evaluate and serve like a CNN run's. It fits in one pass, so --resume does not "
              "apply.")
    add_model(models, "nmt", NMTConfig, run_nmt, "neural machine translation: attentional LSTM/GRU or "
              "Transformer",
              "Train an encoder-decoder on two line-aligned files (--src, --tgt): the attentional LSTM by "
              "default, the Transformer with --model transformer. The "
              "vocabularies (sentencepiece unigram by default) are built on the training text and saved "
              "in the run, so `seqkit translate DIR` needs nothing else. Every --eval-every steps the "
              "validation set is scored (perplexity, and BLEU of beam-decoded translations); the best "
              "checkpoint by --select is what translate uses. Ctrl-C saves a checkpoint; --resume "
              "continues.")


def add_model(models: argparse._SubParsersAction, name: str, cls: type, func, help: str,
              description: str, aliases: tuple[str, ...] | list[str] = ()) -> None:
    """A `train` sub-verb with one flag per config field, --resume and --overwrite."""
    c = models.add_parser(name, help=help, description=description, aliases=list(aliases))
    config_lib.add_flags(c, cls)
    c.add_argument("--resume", action="store_true",
                   help="continue the run in --run from its last checkpoint, on the same training and "
                   "validation files (checked)")
    c.add_argument("--overwrite", action="store_true",
                   help="discard the run already in --run: every file seqkit wrote there, vocabularies too")
    c.set_defaults(func=func)


def config_for(args: argparse.Namespace, cls: type) -> config_lib.TrainConfig:
    """The flags given, over --config, over the saved config of the run on --resume (or the model settings
    of the --init-from run), over the defaults."""
    saved = Path(args.run) / "config.yaml"
    base = config_lib.load(saved, cls).to_dict() if args.resume and saved.exists() else None
    cfg = config_lib.from_args(args, cls, base)
    if isinstance(cfg, config_lib.TrainConfig) and cfg.init_from and not args.resume:
        from seqkit.checkpoints import init_source

        source = init_source(cfg)
        cfg = config_lib.from_args(args, cls, {name: getattr(source, name) for name in cls.model_fields})
    return cfg


def print_metrics(metrics: dict) -> int:
    """The final metrics as one line of key=value."""
    shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
    print(" ".join(f"{k}={v}" for k, v in shown.items()))
    return 0


def run_char_rnn(args: argparse.Namespace) -> int:
    from seqkit.api import train_char_rnn  # TensorFlow loads only when a command needs it

    cfg = config_for(args, CharRNNConfig)
    return print_metrics(train_char_rnn(cfg, resume=args.resume, overwrite=args.overwrite))


def run_cnn_sentiment(args: argparse.Namespace) -> int:
    from seqkit.training.classifier_task import train_cnn_sentiment

    cfg = config_for(args, CNNSentimentConfig)
    return print_metrics(train_cnn_sentiment(cfg, resume=args.resume, overwrite=args.overwrite))


def run_linear(args: argparse.Namespace) -> int:
    from seqkit.training.linear_task import train_linear

    cfg = config_for(args, LinearConfig)
    return print_metrics(train_linear(cfg, resume=args.resume, overwrite=args.overwrite))


def run_nmt(args: argparse.Namespace) -> int:
    from seqkit.training.nmt_task import train_nmt

    cfg = config_for(args, NMTConfig)
    return print_metrics(train_nmt(cfg, resume=args.resume, overwrite=args.overwrite))

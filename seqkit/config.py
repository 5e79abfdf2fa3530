"""One dataclass per command: defaults and help in one place, flags generated from it, validated once.

A config is saved as `config.yaml` in the run directory, so sampling, evaluation and resuming rebuild
the model from the run alone. Command-line flags are generated from the fields (`--seq-len 100`), and
`--config FILE.yaml` loads a file that flags then override.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import yaml

from seqkit.data.subword import TYPES as SUBWORD_TYPES
from seqkit.data.tokenize import SCHEMES
from seqkit.decoding import defaults as decoding_defaults
from seqkit.errors import ConfigError
from seqkit.fileio import atomic_write_text


def opt(default: Any, help: str, choices: tuple | None = None) -> Any:
    """A config field with its help text (and allowed values), shown by --help."""
    return field(default=default, metadata={"help": help, "choices": choices})


def check_count(flag: str, value: int | None) -> None:
    """ConfigError unless a verb's optional count (--batch-size, --seq-len) is None (the run's default) or
    at least 1: 0 would silently mean the default, and a negative one process nothing or fail deep inside."""
    if value is not None and value < 1:
        raise ConfigError(f"{flag} must be at least 1, not {value}")


@dataclass
class RunConfig:
    """What every run directory's config has: where it lives, its seed, and the checks of its fields."""

    run: str = opt("runs/model", "run directory: config, vocabulary, checkpoints, metrics, logs")
    seed: int = opt(0, "seeds Python, NumPy and TensorFlow; same seed, same numbers on CPU")

    # The fields that fix the model's variables and the ids it reads: --init-from takes them from its run.
    model_fields: ClassVar[tuple[str, ...]] = ()
    # The training and validation files (--resume checks they are unchanged), each with what leaving it
    # empty means.
    data_fields: ClassVar[dict[str, str]] = {}
    # Settings that follow from one field's value unless set too: {field: {value: {other field: value}}}.
    presets: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> RunConfig:
        # Note the fields the caller gives, so that __post_init__ takes the others from the presets they
        # choose: CharRNNConfig(cell="gru") is the GRU with its own defaults, as `--cell gru` is.
        self = super().__new__(cls)
        self._given = {f.name for f in fields(cls)[:len(args)]} | set(kwargs)
        return self

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in apply_presets(type(self), values, self._given).items():
            setattr(self, name, value)

    def validate(self) -> None:
        """Check every field against its choices (subclasses add their ranges); raise ConfigError on the
        first bad one."""
        for f in fields(self):
            value, choices = getattr(self, f.name), f.metadata.get("choices")
            if choices and value not in choices:
                raise ConfigError(f"{f.name} must be one of {', '.join(map(str, choices))}, not {value!r}")

    def require(self, ok: Callable[[Any], bool], rule: str, *names: str) -> None:
        """ConfigError `NAME RULE, not VALUE` for the first of `names` whose value `ok` rejects."""
        for name in names:
            value = getattr(self, name)
            if not ok(value):
                raise ConfigError(f"{name} {rule}, not {value}")

    def at_least_one(self, *names: str) -> None:
        """Counts and sizes."""
        self.require(lambda v: v >= 1, "must be at least 1", *names)

    def not_negative(self, *names: str) -> None:
        """Limits and sizes where 0 means none or off."""
        self.require(lambda v: v >= 0, "cannot be negative", *names)

    def fraction(self, *names: str) -> None:
        """Shares such as dropout: 0 allowed, 1 not."""
        self.require(lambda v: 0 <= v < 1, "must be in [0, 1)", *names)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, with its kind, for config.yaml."""
        return {"kind": KINDS_BY_CLASS[type(self)], **dataclasses.asdict(self)}

    def save(self, path: str | Path) -> None:
        """Write config.yaml atomically."""
        atomic_write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False))


@dataclass
class TrainConfig(RunConfig):
    """What every trainer of a TensorFlow model needs: optimisation, schedule, checkpoints, evaluation."""

    init_from: str = opt("", "start a new run from the trained weights of this run (its best checkpoint; a "
                         "fresh optimizer, step 0), e.g. to fine-tune on new data. Its model settings and "
                         "alphabet or vocabulary come with it: a model flag that contradicts it is an error")
    max_steps: int = opt(2000, "stop after this many training steps (0: no step limit)")
    epochs: int = opt(0, "also stop after this many passes over the training data (0: no limit)")
    max_time: float = opt(0.0, "also stop after this many seconds of training (0: no limit)")
    min_steps: int = opt(0, "with epochs: train at least this many steps, in more passes over small data")
    optimizer: str = opt("adam", "optimizer", ("adam", "sgd"))
    learning_rate: float = opt(2e-3, "initial learning rate")
    schedule: str = opt("constant", "learning-rate schedule; inverse-sqrt (Noam): up to learning_rate over "
                        "warmup_steps, then falling as 1/sqrt(step)",
                        ("constant", "exponential", "cosine", "inverse-sqrt"))
    warmup_steps: int = opt(0, "cosine and inverse-sqrt: steps of linear warm-up from 0 to learning_rate")
    decay_steps: int = opt(1000, "exponential: steps per decay; cosine: steps to reach the floor "
                           "(0: the whole run, from max_steps or epochs)")
    decay_rate: float = opt(0.5, "exponential: factor per decay_steps; cosine: final fraction of the rate")
    staircase: bool = opt(True, "exponential: decay in steps (the seed's schedule) instead of smoothly")
    clip_norm: float = opt(5.0, "clip gradients to this global norm (0: no clipping)")
    eval_every: int = opt(500, "evaluate on the validation split every N steps (0: at the end of every "
                          "epoch when epochs is set, else only at the end)")
    select: str = opt("", "validation metric that ranks checkpoints and early stopping watches "
                      "(empty: the model's first; its direction, lower or higher is better, is the model's)")
    patience: int = opt(0, "stop after this many evaluations in a row without a better selected metric "
                        "(0: never stop early)")
    log_every: int = opt(20, "write training metrics every N steps")
    keep: int = opt(3, "keep the last N checkpoints (the best one is always kept)")
    strategy: str = opt("default", "tf.distribute strategy", ("default", "mirrored", "multiworker"))
    precision: str = opt("float32", "Keras mixed precision of training: float16 or bfloat16 math with "
                         "float32 weights, logits and losses (mixed_float16 adds dynamic loss scaling). For "
                         "GPUs with tensor cores: mixed_float16 from Volta on, mixed_bfloat16 from Ampere "
                         "on; on a CPU it is slower. Checkpoints hold float32 weights; sampling, "
                         "translation, classification and export run in float32",
                         ("float32", "mixed_float16", "mixed_bfloat16"))
    xla: str = opt("auto", "compile the training step with XLA: on, off, or auto: on for the Transformer LM "
                   "(one fixed batch shape; on a CPU measured 1.07x at 32 x 128 and even at its default "
                   "12 x 64), off for the others (the LSTM's step: 0.82x; other tasks' batches take many "
                   "shapes, one compilation each)", ("auto", "on", "off"))

    # A schedule chosen without its settings takes these, not another schedule's defaults (a cosine
    # default's warm-up would be an error with --schedule constant).
    presets = {"schedule": {"constant": dict(warmup_steps=0),
                            "exponential": dict(warmup_steps=0, decay_steps=1000, decay_rate=0.5)}}

    def validate(self) -> None:
        super().validate()
        self.at_least_one("log_every", "keep")
        self.require(lambda v: v > 0, "must be positive", "learning_rate")
        self.not_negative("max_steps", "epochs", "max_time", "min_steps", "decay_steps", "clip_norm",
                          "eval_every", "patience", "warmup_steps")
        if self.warmup_steps and self.schedule not in ("cosine", "inverse-sqrt"):
            raise ConfigError(f"warmup_steps applies to the cosine and inverse-sqrt schedules, not "
                              f"{self.schedule}")
        if self.schedule == "inverse-sqrt" and not self.warmup_steps:
            raise ConfigError("the inverse-sqrt schedule needs warmup_steps (e.g. --warmup-steps 4000)")
        if not (self.max_steps or self.epochs or self.max_time):
            raise ConfigError("nothing would end training: set max_steps, epochs or max_time")


def known_keys(data: dict[str, Any], cls: type) -> dict[str, Any]:
    """`data` with old key names (RENAMED) in their new form; unknown keys are an error, not ignored."""
    data = dict(data)
    for old, new in RENAMED.get(cls, {}).items():
        if old in data:
            if new in data:
                raise ConfigError(f"{old} is the old name of {new}: give one of them, not both")
            data[new] = data.pop(old)
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
    return data


def from_dict(data: dict[str, Any], cls: type | None = None) -> RunConfig:
    """Build and validate a config from plain data (a saved run's of any seqkit version)."""
    data = dict(data)
    kind = data.pop("kind", None)
    cls = cls or CONFIG_KINDS.get(kind)
    if cls is None:
        raise ConfigError(f"unknown config kind {kind!r}; expected one of {', '.join(CONFIG_KINDS)}")
    cfg = cls(**known_keys(data, cls))
    cfg.validate()
    return cfg


def yaml_problem(e: yaml.YAMLError) -> str:
    """A YAML error on one line, with its place (PyYAML's own message spans lines and quotes the text)."""
    mark = getattr(e, "problem_mark", None)
    if mark is None:
        return " ".join(str(e).split())
    return f"{getattr(e, 'problem', '')} at line {mark.line + 1}, column {mark.column + 1}"


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping of a YAML config file, not yet validated (flags may still complete it)."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read the config (not UTF-8 text)") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({yaml_problem(e)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys to values")
    return data


def load(path: str | Path, cls: type | None = None) -> RunConfig:
    """Read and validate a config.yaml (of kind `cls` if given); its errors name the file, and the config of
    another kind of run says so, not which of its keys the wanted kind lacks."""
    data = read_yaml(path)
    kind = data.get("kind")
    if cls is not None and kind in CONFIG_KINDS and CONFIG_KINDS[kind] is not cls:
        raise ConfigError(f"{path}: this run was trained by `seqkit train {kind}`; give a run of `seqkit "
                          f"train {KINDS_BY_CLASS[cls]}`")
    data = ADDED.get(cls or CONFIG_KINDS.get(kind), {}) | data
    try:
        return from_dict(data, cls)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


GIVEN = "given_fields"  # the argparse.Namespace attribute naming the config fields set on the command line


def note_given(namespace: argparse.Namespace, name: str) -> None:
    """Record that field `name` was set on the command line."""
    setattr(namespace, GIVEN, getattr(namespace, GIVEN, frozenset()) | {name})


class Store(argparse.Action):
    """Store a flag's value and note it as given, so that it wins even when it equals the default."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        note_given(namespace, self.dest)


class StoreBool(argparse.BooleanOptionalAction):
    """--flag / --no-flag, noted as given like Store."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        super().__call__(parser, namespace, values, option_string)
        note_given(namespace, self.dest)


def add_flags(parser: argparse.ArgumentParser, cls: type, **defaults: Any) -> None:
    """Add one --flag per field of `cls` (with `defaults` overriding the class's), plus --config."""
    parser.add_argument("--config", metavar="YAML", help="load settings from a YAML file; flags override it")
    add_field_flags(parser, cls, **defaults)


def add_field_flags(parser: argparse.ArgumentParser, cls: type, **defaults: Any) -> None:
    """One --flag per field of the dataclass `cls`, its help and choices from the field's `opt`; the old
    names of renamed fields still work, unlisted."""
    for f in fields(cls):
        kw: dict[str, Any] = {"dest": f.name}
        if isinstance(f.default, bool):
            kw["action"] = StoreBool
        else:
            kw |= {"action": Store, "type": type(f.default), "metavar": f.name.upper(),
                   "choices": f.metadata.get("choices")}
        parser.add_argument("--" + f.name.replace("_", "-"), default=defaults.get(f.name, f.default),
                            help=f.metadata["help"] + " (default: %(default)s)", **kw)
        for old in [old for old, new in RENAMED.get(cls, {}).items() if new == f.name]:
            parser.add_argument("--" + old.replace("_", "-"), default=argparse.SUPPRESS,
                                help=argparse.SUPPRESS, **kw)


def apply_presets(cls: type, values: dict[str, Any], chosen: set[str]) -> dict[str, Any]:
    """`values` with the settings of the presets they select, except those in `chosen` (set by the user)."""
    values = dict(values)
    for key, table in cls.presets.items():
        for name, value in table.get(values[key], {}).items():
            if name not in chosen:
                values[name] = value
    return values


def from_args(args: argparse.Namespace, cls: type, base: dict[str, Any] | None = None) -> RunConfig:
    """The config a command line asks for: defaults < the presets chosen < `base` (a saved run's) <
    --config < the flags given."""
    layers = [dict(base or {})]
    if args.config:
        layers.append(read_yaml(args.config))
    values: dict[str, Any] = {}
    for layer in layers:
        layer.pop("kind", None)
        values |= known_keys(layer, cls)
    values |= {name: getattr(args, name) for name in getattr(args, GIVEN, frozenset())}
    return from_dict(values, cls)  # the constructor takes what no layer set from the presets chosen


def transformer_opt(name: str, default: Any) -> Any:
    """A Transformer size or setting, with the same help in every config that has it."""
    helps = {"model_dim": ("Transformer width: embeddings, attention and residual stream", None),
             "heads": ("attention heads per Transformer layer (model_dim must divide by them)", None),
             "ff_dim": ("inner size of each Transformer feed-forward layer", None),
             "positions": ("Transformer position vectors: sinusoidal (any length) or learned", POSITIONS),
             "norm": ("Transformer layer norm: pre (inside each residual branch, trains at any depth) or "
                      "post (after each residual sum, as Vaswani et al.)", NORMS)}
    return opt(default, *helps[name])


def check_transformer(cfg: TrainConfig) -> None:
    """The Transformer sizes of `cfg` are usable."""
    cfg.at_least_one("model_dim", "heads", "ff_dim")
    if cfg.model_dim % cfg.heads:
        raise ConfigError(f"model_dim ({cfg.model_dim}) must be a multiple of heads ({cfg.heads})")


POSITIONS = ("sinusoidal", "learned")
NORMS = ("pre", "post")


def inherit(name: str, default: Any) -> Any:
    """A TrainConfig field with another default, its help and choices kept."""
    return field(default=default, metadata=TrainConfig.__dataclass_fields__[name].metadata)


VALID_CHARS = 1_000_000  # CharRNNConfig.valid_chars: the validation characters scored while training
# The recurrent cells' settings, where the Transformer's defaults do not fit them: one layer, longer
# windows carried from step to step over more streams, a constant rate (tuned for the LSTM in issue 14).
RECURRENT = dict(layers=1, batch_size=64, seq_len=100, schedule="constant", warmup_steps=0, decay_steps=1000,
                 decay_rate=0.5)


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
    cell: str = opt("transformer", "transformer (decoder-only, causal attention over windows of seq_len), "
                    "lstm, gru, rnn1 (hidden-state feedback) or rnn2 (output feedback). The recurrent cells "
                    "take their own defaults unless given: 1 layer, batch_size 64, seq_len 100, a constant "
                    "learning rate", ("transformer", "lstm", "gru", "rnn1", "rnn2"))
    layers: int = opt(4, "stacked layers (transformer, lstm, gru)")
    units: int = opt(512, "units per recurrent layer")
    embedding_dim: int = opt(64, "character embedding size (lstm, gru)")
    activation: str = opt("tanh", "rnn1 hidden activation", ("tanh", "relu"))
    model_dim: int = transformer_opt("model_dim", 128)
    heads: int = transformer_opt("heads", 4)
    ff_dim: int = transformer_opt("ff_dim", 512)
    positions: str = transformer_opt("positions", "learned")
    norm: str = transformer_opt("norm", "pre")
    dropout: float = opt(0.0, "dropout between layers (lstm, gru), on attention and residual paths "
                         "(transformer)")
    batch_size: int = opt(12, "B: cursors (parallel streams) per step")
    seq_len: int = opt(64, "T: unrollings per step (truncated backpropagation length); a transformer's "
                       "context: it attends to at most this many characters")
    reset_every: int = opt(30, "clear each stream's carried state every N steps, staggered across streams, "
                           "so the model also learns from the zero state it samples from (0: never)")
    eval_batch_size: int = opt(128, "streams used to evaluate the validation split")
    schedule: str = inherit("schedule", "cosine")  # nanoGPT's baby model's: warm-up, then to a tenth
    warmup_steps: int = inherit("warmup_steps", 100)
    decay_steps: int = inherit("decay_steps", 0)
    decay_rate: float = inherit("decay_rate", 0.1)
    valid_chars: int = opt(VALID_CHARS, "score the first N characters of the validation split at each "
                           "evaluation during training (0: all of it): a split of millions (text8's 5 M) is "
                           "slow to score whole, and its first million ranks checkpoints as well; "
                           "`seqkit evaluate` always scores a whole file")

    model_fields = ("alphabet", "unknown", "cell", "layers", "units", "embedding_dim", "activation",
                    "model_dim", "heads", "ff_dim", "positions", "norm")
    data_fields = {"data": "embedded", "valid": "held out"}
    presets = {"cell": dict.fromkeys(("lstm", "gru", "rnn1", "rnn2"), RECURRENT)} | TrainConfig.presets

    def validate(self) -> None:
        super().validate()
        self.not_negative("reset_every", "valid_chars")
        if self.valid_chars == 1:
            raise ConfigError("valid_chars 1 leaves no character to predict: give 0 (the whole validation "
                              "split) or at least 2")
        self.at_least_one("layers", "units", "embedding_dim", "batch_size", "seq_len", "eval_batch_size")
        check_transformer(self)
        if self.cell == "transformer" and self.seq_len < 2:
            raise ConfigError("a transformer's seq_len (its context) must be at least 2")
        self.fraction("dropout")
        self.require(lambda v: 0 < v < 1, "must be in (0, 1)", "valid_fraction")


@dataclass
class LabeledDataConfig:
    """A text classifier's labelled data (CNN or linear): its files, columns, tokens and class weights."""

    train: str = opt("", "training data: a CSV/TSV file with a header row, or a folder per class "
                     "(LABEL/*.txt, the IMDB layout)")
    valid: str = opt("", "validation data in the same forms; empty: hold out valid_fraction of --train")
    valid_fraction: float = opt(0.1, "share of --train held out for validation when --valid is not given")
    label_column: str = opt("label", "CSV/TSV column holding the class label")
    text_column: str = opt("text", "CSV/TSV column holding the text")
    delimiter: str = opt("auto", "CSV field separator: auto (tab for .tsv/.tab files, else comma), comma, "
                         "tab, or the character itself")
    tokenizer: str = opt("treebank", "word tokenizer (none needs downloaded data)", SCHEMES)
    lowercase: bool = opt(True, "lowercase texts before tokenizing")
    class_weight: str = opt("none", "balanced: weight each class's loss by examples / (classes x its "
                            "examples), for unbalanced data", ("none", "balanced"))

    data_fields: ClassVar[dict[str, str]] = {"train": "", "valid": "held out"}

    def validate(self) -> None:
        super().validate()  # type: ignore[misc]  # the RunConfig this mixes into
        if not self.train:
            raise ConfigError("train is required: a CSV/TSV file or a folder per class (--train PATH)")
        self.require(lambda v: 0 < v < 1, "must be in (0, 1)", "valid_fraction")  # type: ignore[attr-defined]


@dataclass
class CNNSentimentConfig(LabeledDataConfig, TrainConfig):
    """`seqkit train cnn-sentiment`: Kim's (2014) CNN text classifier, its data, vocabulary and embeddings."""

    run: str = opt("runs/cnn-sentiment", "run directory: config, vocabulary, classes, checkpoints, metrics")
    max_steps: int = opt(0, "stop after this many training steps (0: no step limit; epochs end training)")
    epochs: int = opt(3, "passes over the training data (ceil(examples / batch_size) steps each), more if "
                      "min_steps asks; with max_steps too, training stops at whichever comes first")
    min_steps: int = opt(600, "train at least this many steps, in more epochs: a few thousand examples need "
                         "about 10 passes, tens of thousands 3")
    learning_rate: float = inherit("learning_rate", 2e-3)
    schedule: str = inherit("schedule", "cosine")
    decay_steps: int = inherit("decay_steps", 0)  # cosine down to 0 over the whole run
    decay_rate: float = inherit("decay_rate", 0.0)
    eval_every: int = opt(0, "evaluate on the validation data every N steps (0: at the end of every epoch)")
    select: str = opt("macro_f1", "validation metric that ranks checkpoints (classify and evaluate use the "
                      "best) and early stopping watches", ("macro_f1", "accuracy", "loss"))
    patience: int = opt(3, "stop after this many evaluations in a row without a better selected metric "
                        "(0: never stop early)")
    max_vocab: int = opt(10000, "vocabulary size, <pad> <unk> <s> </s> included; the most frequent words "
                         "are kept (0: no cap)")
    min_count: int = opt(2, "leave out words seen fewer times in the training data (they become <unk>)")
    max_len: int = opt(100, "tokens kept per text (the first ones); batches are padded to their longest text")
    embedding_mode: str = opt("non-static", "Kim's names for the starting vectors (--vectors, else word2vec "
                              "on the training texts): rand (random, trained), static (frozen), non-static "
                              "(fine-tuned), multichannel (two copies, one frozen, one fine-tuned, both "
                              "seen by every filter)", ("rand", "static", "non-static", "multichannel"))
    vectors: str = opt("", "pretrained word vectors: word2vec (text or binary), GloVe text or gensim "
                       "KeyedVectors; words they lack get small random vectors")
    word2vec: int = opt(10, "without --vectors: start from word2vec vectors (skip-gram, gensim) trained for "
                        "this many epochs on the training texts' tokens (0: random vectors; rand mode and "
                        "--init-from never train them)")
    embedding_dim: int = opt(128, "word vector size without --vectors (with them: the vectors' size)")
    widths: str = opt("1,2,3,4,5", "convolution widths (words per window), comma-separated")
    maps: int = opt(200, "feature maps per width")
    dropout: float = opt(0.5, "dropout on the concatenated max-pooled features")
    max_norm: float = opt(3.0, "cap on the L2 norm of each class's softmax weights, as in Kim (0: none)")
    l2: float = opt(0.0, "L2 penalty on the softmax weights (0: none)")
    batch_size: int = opt(50, "examples per training step")
    eval_batch_size: int = opt(256, "examples per step when evaluating and classifying")

    model_fields = ("tokenizer", "lowercase", "max_vocab", "min_count", "embedding_mode", "embedding_dim",
                    "widths", "maps")

    @property
    def width_list(self) -> list[int]:
        """The convolution widths as integers (of a validated config)."""
        return [int(w) for w in self.widths.split(",")]

    def validate(self) -> None:
        super().validate()
        if not all(w.strip().isdigit() and int(w) > 0 for w in self.widths.split(",")):
            raise ConfigError(f"widths must be positive integers separated by commas, like 3,4,5, "
                              f"not {self.widths!r}")
        self.at_least_one("maps", "batch_size", "eval_batch_size", "max_len", "embedding_dim", "min_count")
        self.require(lambda v: v == 0 or v >= 5, "must be 0 (no cap) or at least 5", "max_vocab")
        self.fraction("dropout")
        self.not_negative("max_norm", "l2")
        self.require(lambda v: v >= 0, "must be 0 (none) or a number of epochs", "word2vec")
        if self.init_from and self.vectors:
            raise ConfigError("--init-from starts from that run's trained embeddings: drop --vectors")
        if self.embedding_mode in ("static", "multichannel") and not (self.vectors or self.word2vec
                                                                       or self.init_from):
            raise ConfigError(f"embedding_mode {self.embedding_mode} freezes pretrained vectors: give "
                              "--vectors PATH or --word2vec EPOCHS")
        if self.embedding_mode == "rand" and self.vectors:
            raise ConfigError("embedding_mode rand starts from random vectors: drop --vectors")

    @property
    def trains_word2vec(self) -> bool:
        """Whether training starts by fitting word2vec on the training texts: only when nothing else gives
        the starting vectors (--vectors, --init-from's run) and the mode wants pretrained ones."""
        return bool(self.word2vec) and not (self.vectors or self.init_from) and self.embedding_mode != "rand"


def ngram_range(value: str) -> tuple[int, int] | None:
    """The (shortest, longest) n-gram lengths of "N" or "N,M"; None for "0" (no such features)."""
    parts = [p.strip() for p in value.split(",")]
    if not (1 <= len(parts) <= 2 and all(p.isdigit() for p in parts)):
        raise ConfigError(f"n-gram lengths are N or N,M (like 1,2; 0: none), not {value!r}")
    low, high = int(parts[0]), int(parts[-1])
    if low == high == 0:
        return None
    if not 1 <= low <= high:
        raise ConfigError(f"n-gram lengths N,M need 1 <= N <= M, not {value!r}")
    return low, high


C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)


@dataclass
class LinearConfig(LabeledDataConfig, RunConfig):
    """`seqkit train linear`: TF-IDF word and character n-grams with logistic regression (scikit-learn)."""

    run: str = opt("runs/linear", "run directory: config, classes, model, metrics")
    word_ngrams: str = opt("1,2", "word n-gram lengths N,M over the --tokenizer's tokens (0: no word "
                           "features)")
    char_ngrams: str = opt("2,5", "character n-gram lengths N,M inside word boundaries (scikit-learn's "
                           "char_wb; 0: no character features)")
    min_count: int = opt(1, "leave out word n-grams found in fewer training texts")
    char_min_count: int = opt(2, "leave out character n-grams found in fewer training texts")
    max_features: int = opt(0, "keep the most frequent n-grams of each kind, words and characters (0: all)")
    sublinear_tf: bool = opt(True, "weigh term counts as 1 + log(count)")
    c: float = opt(0.0, "inverse L2 strength of the logistic regression (scikit-learn's C); 0: the best of "
                   f"{', '.join(map(str, C_GRID))} on the validation data by --select")
    select: str = opt("macro_f1", "validation metric that picks C", ("macro_f1", "accuracy", "loss"))
    max_iter: int = opt(1000, "iterations of the L-BFGS solver at most")

    def validate(self) -> None:
        super().validate()
        words, chars = ngram_range(self.word_ngrams), ngram_range(self.char_ngrams)
        if not (words or chars):
            raise ConfigError("word_ngrams and char_ngrams are both 0: the model would have no features")
        self.at_least_one("min_count", "char_min_count", "max_iter")
        self.not_negative("max_features", "c")


# The names of seqkit.models' registries (tests/test_nmt_model.py checks they agree); kept here as names
# so that building the command line does not import TensorFlow.
ATTENTION = ("luong-dot", "luong-general", "luong-concat", "bahdanau", "none")
BRIDGES = ("dense", "copy", "zero")
ENCODERS = ("rnn", "transformer")
DECODERS = ("rnn", "transformer")


@dataclass
class NMTConfig(TrainConfig):
    """`seqkit train nmt`: parallel data, vocabularies, the attentional encoder-decoder and its search."""

    run: str = opt("runs/nmt", "run directory: config, vocabularies, checkpoints, metrics, logs")
    src: str = opt("", "source-language training file, one sentence a line")
    tgt: str = opt("", "target-language training file, line-aligned with --src")
    valid_src: str = opt("", "source side of the validation set (empty: hold out valid_size training pairs)")
    valid_tgt: str = opt("", "target side of the validation set, line-aligned with --valid-src")
    valid_size: int = opt(500, "pairs held out of the training data for validation when no validation set "
                          "is given")
    vocab_type: str = opt("unigram", "vocabulary: sentencepiece unigram or bpe, or whitespace words",
                          SUBWORD_TYPES)
    vocab_size: int = opt(8000, "pieces (or words, <pad> <unk> <s> </s> included; 0: no cap for words) "
                          "per vocabulary")
    joint_vocab: bool = opt(True, "one vocabulary over both languages (else one per language)")
    min_count: int = opt(1, "word vocabularies: leave out rarer words (they become <unk>)")
    src_vocab: str = opt("", "a prebuilt source vocabulary (`seqkit vocab build`) instead of building one")
    tgt_vocab: str = opt("", "a prebuilt target vocabulary (`seqkit vocab build`) instead of building one")
    max_len: int = opt(80, "drop training pairs with a side longer than this many tokens (0: keep all)")
    max_ratio: float = opt(3.0, "drop training pairs whose longer side has more than this many times the "
                           "tokens of the shorter (0: keep all)")
    batch_tokens: int = opt(2000, "tokens per batch, padding included (source or target, the longer)")
    batch_size: int = opt(0, "sentences per batch instead of batch_tokens (0: batch by tokens)")
    model: str = opt("rnn", "preset: rnn (the attentional LSTM below) or transformer (encoder and decoder "
                     "Transformers: 3 layers each, model_dim 256, 4 heads, ff_dim 1024, dropout 0.1, tied "
                     "embeddings, inverse-sqrt schedule with warm-up); flags given win over it",
                     ("rnn", "transformer"))
    encoder: str = opt("rnn", "encoder kind (seqkit.models.encoders.ENCODERS)", ENCODERS)
    decoder: str = opt("rnn", "decoder kind (seqkit.models.decoders.DECODERS)", DECODERS)
    cell: str = opt("lstm", "recurrent cell of encoder and decoder", ("lstm", "gru"))
    units: int = opt(256, "decoder state size; also each encoder direction's, unless encoder_units is set")
    encoder_units: int = opt(0, "encoder output size, a bidirectional layer's split half each way (0: units "
                             "each way, as in Joey NMT; units in all for luong-dot, which needs equal sizes)")
    layers: int = opt(1, "recurrent layers in the encoder and in the decoder")
    embedding_dim: int = opt(256, "word embedding size, both languages")
    bidirectional: bool = opt(True, "bidirectional encoder layers")
    residual: bool = opt(False, "residual connections between recurrent layers (from the second on)")
    dropout: float = opt(0.2, "dropout on embeddings, between encoder layers and before the softmax")
    attention: str = opt("luong-general", "attention scoring function (none: the encoder's final state only)",
                         ATTENTION)
    scaled: bool = opt(False, "luong-dot and luong-general: divide scores by sqrt(units)")
    normed: bool = opt(False, "bahdanau: weight-normalized v (v = g v / |v|)")
    input_feeding: bool = opt(True, "feed the previous attentional vector into the decoder's next step")
    bridge: str = opt("dense", "a recurrent decoder's initial state from a recurrent encoder's final state: "
                      "dense(tanh), copy (sizes must agree), or zeros (the only one after a transformer "
                      "encoder)", BRIDGES)
    model_dim: int = transformer_opt("model_dim", 256)
    heads: int = transformer_opt("heads", 4)
    ff_dim: int = transformer_opt("ff_dim", 1024)
    positions: str = transformer_opt("positions", "sinusoidal")
    norm: str = transformer_opt("norm", "pre")
    tie_embeddings: bool = opt(False, "transformer encoder and decoder: one embedding matrix for source, "
                               "target and output words (needs the joint vocabulary)")
    label_smoothing: float = opt(0.1, "share of the target probability spread evenly over the vocabulary")
    learning_rate: float = opt(2e-3, "initial learning rate")
    select: str = opt("bleu", "validation metric that ranks checkpoints (translate uses the best) and "
                      "early stopping watches", ("bleu", "loss", "ppl"))
    eval_every: int = opt(500, "validate (perplexity and BLEU of beam-decoded translations) every N steps")
    eval_beam: int = opt(decoding_defaults.BEAM, "beam width of the validation translations scored during "
                         "training")
    alpha: float = opt(decoding_defaults.ALPHA, "GNMT length penalty exponent of training's validation "
                       "decoding")
    eval_batch_size: int = opt(64, "sentences per batch when validating and translating")

    model_fields = ("vocab_type", "vocab_size", "joint_vocab", "min_count", "model", "encoder", "decoder",
                    "cell", "units", "encoder_units", "layers", "embedding_dim", "bidirectional", "residual",
                    "attention", "scaled", "normed", "input_feeding", "bridge", "model_dim", "heads",
                    "ff_dim", "positions", "norm", "tie_embeddings")
    presets = {"model": {"transformer": dict(encoder="transformer", decoder="transformer", layers=3,
                                             model_dim=256, heads=4, ff_dim=1024, dropout=0.1,
                                             tie_embeddings=True, bridge="zero", learning_rate=1e-3,
                                             schedule="inverse-sqrt", warmup_steps=200)},
               **TrainConfig.presets}
    data_fields = {"src": "", "tgt": "", "valid_src": "held out", "valid_tgt": "held out"}

    @property
    def encoder_size(self) -> int:
        """The encoder's output size: model_dim for a transformer, else encoder_units, or by default units
        each way."""
        if self.encoder == "transformer":
            return self.model_dim
        if self.encoder_units:
            return self.encoder_units
        return 2 * self.units if self.bidirectional and self.attention != "luong-dot" else self.units

    def validate(self) -> None:
        super().validate()
        if not (self.src and self.tgt):
            raise ConfigError("give the training data: --src FILE --tgt FILE (line-aligned)")
        if bool(self.valid_src) != bool(self.valid_tgt):
            raise ConfigError("give both --valid-src and --valid-tgt, or neither (then valid_size pairs are "
                              "held out)")
        if not self.valid_src and self.valid_size < 1:  # else "too few pairs to hold out", however many
            raise ConfigError(f"valid_size {self.valid_size} holds out no validation pairs: give a positive "
                              "--valid-size, or --valid-src and --valid-tgt")
        if self.init_from and (self.src_vocab or self.tgt_vocab):
            raise ConfigError("--init-from reuses that run's vocabularies: drop --src-vocab and --tgt-vocab")
        self.at_least_one("units", "layers", "embedding_dim", "eval_beam", "eval_batch_size", "min_count")
        self.not_negative("valid_size", "vocab_size", "max_len", "max_ratio", "batch_size", "alpha",
                          "encoder_units")
        if not self.batch_size and self.batch_tokens < 1:
            raise ConfigError("batch_tokens must be at least 1 (or give batch_size)")
        check_transformer(self)
        if self.encoder == "transformer" and self.decoder == "rnn" and self.bridge != "zero":
            raise ConfigError("a transformer encoder has no final state to bridge from: use --bridge zero")
        if self.tie_embeddings and not (self.encoder == self.decoder == "transformer"):
            raise ConfigError("tie_embeddings ties a transformer encoder's and decoder's embeddings: use "
                              "--encoder transformer --decoder transformer (or --model transformer)")
        if self.tie_embeddings and not self.joint_vocab:
            raise ConfigError("tie_embeddings needs one vocabulary for both languages: drop --no-joint-vocab")
        if self.tie_embeddings and self.src_vocab != self.tgt_vocab:
            raise ConfigError("tie_embeddings needs one vocabulary for both languages: give the same file "
                              "to --src-vocab and --tgt-vocab")
        if self.encoder == "rnn" and self.bidirectional and self.encoder_size % 2:
            raise ConfigError("a bidirectional encoder splits its units in two: make encoder_units "
                              "(or units) even")
        if self.decoder == "rnn" and self.attention == "luong-dot" and self.encoder_size != self.units:
            raise ConfigError(f"luong-dot attention needs the encoder's output size ({self.encoder_size}) to "
                              f"equal units ({self.units}); use luong-general")
        if self.decoder == "rnn" and self.bridge == "copy" and self.encoder_size != self.units:
            raise ConfigError(f"bridge copy needs the encoder's output size ({self.encoder_size}) to equal "
                              f"units ({self.units}): set --encoder-units {self.units} or use --bridge dense")
        if self.scaled and self.attention not in ("luong-dot", "luong-general"):
            raise ConfigError("scaled applies to luong-dot and luong-general attention only")
        if self.normed and self.attention != "bahdanau":
            raise ConfigError("normed applies to bahdanau attention only")
        self.fraction("dropout", "label_smoothing")


CONFIG_KINDS: dict[str, type] = {"char-rnn": CharRNNConfig, "cnn-sentiment": CNNSentimentConfig,
                                 "linear": LinearConfig, "nmt": NMTConfig}
KINDS_BY_CLASS = {cls: kind for kind, cls in CONFIG_KINDS.items()}
# Old names of renamed fields, still read from config files, saved runs and flags: {old: new} per kind.
RENAMED: dict[type, dict[str, str]] = {
    CNNSentimentConfig: {"val": "valid", "val_fraction": "valid_fraction"},
    NMTConfig: {"dev_src": "valid_src", "dev_tgt": "valid_tgt", "dev_size": "valid_size"}}
# Fields added later whose default is not what the runs written before them did: a run's config.yaml
# without the key reads as that old behaviour, so that --resume goes on as the run began. {field: value}.
ADDED: dict[type, dict[str, Any]] = {CharRNNConfig: {"valid_chars": 0}}  # they scored the whole split

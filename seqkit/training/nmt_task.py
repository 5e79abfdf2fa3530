"""Neural machine translation as a trainer task, and translating from a run directory alone.

The run holds config.yaml, the source and target vocabularies (src.model/tgt.model for sentencepiece,
src.vocab/tgt.vocab for words) and the checkpoints; `translate` needs nothing else. Several runs with
the same vocabularies translate together as an ensemble (mean of their log-probabilities).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.config import NMTConfig
from seqkit.data.labeled import pad_batch
from seqkit.data.parallel import (
    PairBatches,
    ParallelText,
    encode_pairs,
    length_filter,
    read_parallel,
    target_io,
)
from seqkit.data.subword import SUFFIX, Codec, build_codec, load_codec
from seqkit.data.vocab import Vocab
from seqkit.decoding.beam_search import beam_search, greedy_search
from seqkit.errors import CheckpointError, ConfigError, DataError
from seqkit.metrics.bleu import corpus_scores
from seqkit.models.seq2seq import Seq2Seq, build_seq2seq, set_output_prior
from seqkit.training.checkpoints import (
    CheckpointDir,
    checkpoint_path,
    load_variables,
    prepare_run_dir,
    read_run_config,
    save_variables,
)
from seqkit.training.trainer import set_seed, train_in_run

SIDES = ("src", "tgt")
AVERAGE_FILE = "average.h5"


# --- vocabularies ----------------------------------------------------------------------------------
def vocab_path(run_dir: str | Path, side: str) -> Path:
    """The run's vocabulary file for `side` ('src' or 'tgt'), whichever kind it is."""
    for suffix in sorted(set(SUFFIX.values())):
        path = Path(run_dir) / f"{side}{suffix}"
        if path.exists():
            return path
    raise CheckpointError(f"{run_dir}: no {side} vocabulary ({side}.model or {side}.vocab); is it an NMT "
                          "run?")


def make_codecs(cfg: NMTConfig, train: ParallelText) -> tuple[Codec, Codec]:
    """The given vocabulary files, else vocabularies built on the training text (joint or one each)."""
    given = {"src": cfg.src_vocab, "tgt": cfg.tgt_vocab}
    if cfg.joint_vocab and not any(given.values()):
        joint = build_codec(train.src + train.tgt, cfg.vocab_type, cfg.vocab_size, cfg.min_count, cfg.seed)
        return joint, joint
    texts = {"src": train.src, "tgt": train.tgt}
    return tuple(load_codec(given[side]) if given[side] else
                 build_codec(texts[side], cfg.vocab_type, cfg.vocab_size, cfg.min_count, cfg.seed)
                 for side in SIDES)


def save_codecs(run_dir: Path, codecs: Sequence[Codec]) -> None:
    """src.* and tgt.* beside the config."""
    for side, codec in zip(SIDES, codecs):
        codec.save(run_dir / f"{side}{codec.suffix}")


# --- search ----------------------------------------------------------------------------------------
def token_nll(logits: tf.Tensor, target: tf.Tensor, smoothing: float = 0.0) -> tf.Tensor:
    """Sum of the cross-entropies of logits [n, vocab] against target ids [n], smoothed toward uniform by
    `smoothing`: (1 - s) * nll + s * mean over the vocabulary of -log p."""
    logp = tf.nn.log_softmax(logits)
    nll = -tf.gather(logp, target, batch_dims=1)
    if smoothing:
        nll = (1 - smoothing) * nll - smoothing * tf.reduce_mean(logp, -1)
    return tf.reduce_sum(nll)


def masked_nll(model: Seq2Seq, src: tf.Tensor, tgt_in: tf.Tensor, tgt_out: tf.Tensor, smoothing: float = 0.0,
               training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
    """(summed cross-entropy of the non-pad targets, their count) under teacher forcing; the softmax
    runs on real target positions only, not on padding."""
    enc, state = model.encode(src, training)
    vectors, _ = model.decode(tgt_in, state, enc, training)
    mask = tf.not_equal(tgt_out, Vocab.pad_id)
    logits = model.output_layer(tf.boolean_mask(vectors, mask))
    count = tf.reduce_sum(tf.cast(mask, tf.int32))
    return token_nll(logits, tf.boolean_mask(tgt_out, mask), smoothing), count


class Ensemble:
    """Several models (or one) as one: an encoder output and state per model; the mean of their log-probs."""

    def __init__(self, models: Sequence[Seq2Seq]) -> None:
        self.models = list(models)

    def encode(self, src: tf.Tensor) -> tuple[tuple, tuple]:
        encs, states = zip(*(m.encode(src) for m in self.models))
        return tuple(encs), tuple(states)

    def step(self, ids: tf.Tensor, state: tuple, enc: tuple) -> tuple[tf.Tensor, tuple, tf.Tensor]:
        outs = [m.step(ids, s, e) for m, s, e in zip(self.models, state, enc)]
        logp = tf.add_n([tf.nn.log_softmax(o[0]) for o in outs]) / len(outs)
        return logp, tuple(o[1] for o in outs), tf.add_n([o[2] for o in outs]) / len(outs)


@functools.lru_cache(maxsize=32)
def compiled_search(ensemble: Ensemble, beam: int, alpha: float, nbest: int, min_len: int, beta: float):
    """search(src [batch, len], max_len [batch]) -> (ids [batch, k, len], scores [batch, k]), compiled."""

    def search(src, max_len):
        enc, state = ensemble.encode(src)
        if beam == 1 and not beta:
            ids, score = greedy_search(ensemble.step, state, enc, max_len, min_len)
            return ids[:, None, :], score[:, None]
        return beam_search(ensemble.step, state, enc, max_len, beam, alpha, min_len, nbest, beta, enc[0].mask)

    spec = (tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32))
    return tf.function(search, input_signature=spec)


def strip(ids: np.ndarray) -> list[int]:
    """The words of one output row, up to (not including) </s>."""
    row = ids.tolist()
    return row[:row.index(Vocab.eos_id)] if Vocab.eos_id in row else [i for i in row if i]


@dataclass
class Translator:
    """A trained model (or ensemble) with its vocabularies: text in, text out."""

    cfg: NMTConfig
    src: Codec
    tgt: Codec
    ensemble: Ensemble

    def search(self, ids: Sequence[np.ndarray], beam: int = 5, alpha: float = 0.6, nbest: int = 1,
               min_len: int = 0, max_ratio: float = 2.0, max_extra: int = 10, beta: float = 0.0,
               batch_size: int | None = None) -> list[list[tuple[list[int], float]]]:
        """n-best (target ids, score) per source; sentences of similar length share a batch; the longest
        output of a source of n tokens is max_ratio * n + max_extra."""
        if beam < 1 or not 1 <= nbest <= beam:
            raise ConfigError(f"need beam >= 1 and 1 <= nbest <= beam, not beam {beam}, nbest {nbest}")
        if alpha < 0 or beta < 0:
            raise ConfigError("alpha and beta cannot be negative")
        search = compiled_search(self.ensemble, beam, float(alpha), nbest, min_len, float(beta))
        batch_size = batch_size or self.cfg.eval_batch_size
        out: list[list[tuple[list[int], float]]] = [[] for _ in ids]
        order = [i for i in np.argsort([len(s) for s in ids], kind="stable") if len(ids[i])]
        for b in range(0, len(order), batch_size):
            chunk = order[b:b + batch_size]
            src = pad_batch([ids[i] for i in chunk])
            limit = np.array([math.ceil(max_ratio * len(ids[i])) + max_extra for i in chunk], np.int32)
            seqs, scores = (t.numpy() for t in search(src, np.maximum(limit, min_len + 1)))
            for i, rows, row_scores in zip(chunk, seqs, scores):
                out[i] = [(strip(r), float(s)) for r, s in zip(rows[:nbest], row_scores[:nbest]) if s > -1e8]
        return out

    def translate(self, lines: Sequence[str], beam: int = 5, alpha: float = 0.6, nbest: int = 1,
                  **options) -> list[str] | list[list[tuple[str, float]]]:
        """One detokenized translation per line ('' for a blank line), or with nbest > 1 the n best
        (translation, score) pairs."""
        ids = [self.src.encode(line) if line.strip() else np.zeros(0, np.int32) for line in lines]
        found = self.search(ids, beam, alpha, nbest, **options)
        if nbest == 1:
            return [self.tgt.decode(hyps[0][0]) if hyps else "" for hyps in found]
        return [[(self.tgt.decode(h), s) for h, s in hyps] for hyps in found]

    def attention(self, line: str, translation: str) -> np.ndarray:
        """Attention weights [target words + </s>, source words] of the first model reading `line` and
        forced to output `translation`."""
        model = self.ensemble.models[0]
        src = self.src.encode(line)[None, :]
        tgt_in, _ = target_io([self.tgt.encode(translation)])
        _, weights = model(src, tgt_in)
        return weights.numpy()[0]


def average_path(run_dir: str | Path) -> Path:
    """Where `average_checkpoints` writes (outside the ckpt-STEP.h5 series, so resuming ignores it)."""
    return CheckpointDir(run_dir).dir / AVERAGE_FILE


def load_model(run_dir: str | Path, which: str = "best") -> tuple[NMTConfig, Codec, Codec, Seq2Seq]:
    """Config, vocabularies and model with trained weights ('best', 'latest', 'average' or a step), from
    the run directory alone."""
    cfg = read_run_config(run_dir, NMTConfig)
    src, tgt = (load_codec(vocab_path(run_dir, side)) for side in SIDES)
    model = build_seq2seq(cfg, len(src), len(tgt))
    if which == "average" and not average_path(run_dir).exists():
        raise CheckpointError(f"{run_dir}: no averaged checkpoint; write one with `seqkit average {run_dir}`")
    path = average_path(run_dir) if which == "average" else checkpoint_path(run_dir, which)
    load_variables(path, {"model": model.variables})
    return cfg, src, tgt, model


def average_checkpoints(run_dir: str | Path, last: int = 0) -> tuple[Path, list[int]]:
    """Average the model weights of the run's last `last` checkpoints (0: all kept) into
    checkpoints/average.h5, which `--checkpoint average` loads; returns it and the steps averaged."""
    steps = CheckpointDir(run_dir).steps()[-last if last else None:]
    if not steps:
        raise CheckpointError(f"{run_dir}: no checkpoints to average; train first")
    *_, model = load_model(run_dir, str(steps[0]))
    total = [v.numpy().astype(np.float64) for v in model.variables]
    for step in steps[1:]:
        load_variables(checkpoint_path(run_dir, str(step)), {"model": model.variables})
        total = [t + v.numpy() for t, v in zip(total, model.variables)]
    for v, t in zip(model.variables, total):
        v.assign((t / len(steps)).astype(v.dtype))
    save_variables(average_path(run_dir), {"model": model.variables}, attrs={"steps": steps})
    return average_path(run_dir), steps


def load_run(runs: str | Path | Sequence[str | Path], which: str = "best") -> Translator:
    """The Translator of one run, or the ensemble of several that share their vocabularies."""
    runs = [runs] if isinstance(runs, (str, Path)) else list(runs)
    if not runs:
        raise ConfigError("give at least one run directory")
    loaded = [load_model(r, which) for r in runs]
    for run in runs[1:]:
        for side in SIDES:
            if vocab_path(run, side).read_bytes() != vocab_path(runs[0], side).read_bytes():
                raise ConfigError(f"{run} has another {side} vocabulary than {runs[0]}; the runs of an "
                                  "ensemble must share their vocabularies")
    cfg, src, tgt, _ = loaded[0]
    return Translator(cfg, src, tgt, Ensemble([m for *_, m in loaded]))


# --- training --------------------------------------------------------------------------------------
class NMTTask:
    """Token-bucketed pairs; label-smoothed cross-entropy per target token; dev perplexity and BLEU."""

    unit = "tokens"
    goals = {"bleu": "max", "loss": "min", "ppl": "min"}

    def __init__(self, cfg: NMTConfig, translator: Translator, train_ids: tuple[list, list],
                 dev: ParallelText) -> None:
        self.cfg, self.translator, self.dev = cfg, translator, dev
        self.model = translator.ensemble.models[0]
        self.stream = PairBatches(*train_ids, cfg.batch_tokens, cfg.batch_size, cfg.seed)
        self.steps_per_epoch = self.stream.steps_per_epoch
        self.dev_ids = encode_pairs(dev, translator.src, translator.tgt)
        self._nll = tf.function(functools.partial(masked_nll, self.model), reduce_retracing=True)

    def batches(self):
        return self.stream

    def initial_carry(self) -> tuple[np.ndarray, ...]:
        return ()

    def loss(self, batch, carry, training: bool):
        smoothing = self.cfg.label_smoothing if training else 0.0
        return (*masked_nll(self.model, *batch, smoothing, training), carry)

    def evaluate(self) -> dict[str, float]:
        total, count = 0.0, 0
        src_ids, tgt_ids = self.dev_ids
        for b in range(0, len(src_ids), self.cfg.eval_batch_size):
            tgt_in, tgt_out = target_io(tgt_ids[b:b + self.cfg.eval_batch_size])
            t, c = self._nll(pad_batch(src_ids[b:b + self.cfg.eval_batch_size]), tgt_in, tgt_out)
            total, count = total + float(t), count + int(c)
        hyps = self.translator.translate(self.dev.src, self.cfg.eval_beam, self.cfg.alpha)
        scores = corpus_scores(hyps, [self.dev.tgt])
        return {"bleu": scores["bleu"], "chrf": scores["chrf"], "loss": total / count,
                "ppl": math.exp(min(total / count, 50.0))}

    def data_position(self) -> dict[str, np.ndarray]:
        return {"epoch": np.array(self.stream.epoch), "index": np.array(self.stream.index)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        self.stream.epoch, self.stream.index = int(arrays["epoch"]), int(arrays["index"])


def train_dev(cfg: NMTConfig) -> tuple[ParallelText, ParallelText]:
    """(train, dev): the files given, or dev_size seeded pairs held out of the training data."""
    train = read_parallel(cfg.src, cfg.tgt)
    if train.skipped:
        print(f"skipped {train.skipped} line pair(s) with an empty side in {cfg.src}, {cfg.tgt}",
              file=sys.stderr)
    if cfg.dev_src:
        return train, read_parallel(cfg.dev_src, cfg.dev_tgt)
    cut = min(cfg.dev_size, len(train) // 10)
    if cut < 1:
        raise DataError(f"{cfg.src}: {len(train)} pair(s) are too few to hold out a dev set; give --dev-src "
                        "and --dev-tgt")
    order = np.random.default_rng(cfg.seed).permutation(len(train))

    def pick(index):
        return ParallelText([train.src[i] for i in index], [train.tgt[i] for i in index])

    return pick(order[cut:]), pick(order[:cut])


def train_nmt(cfg: NMTConfig, resume: bool = False, overwrite: bool = False) -> dict:
    """Train (or resume) an attentional NMT model in cfg.run; the last dev metrics and the best
    checkpoint's step and metric."""
    cfg.validate()
    run = Path(cfg.run)
    prepare_run_dir(cfg, resume, overwrite)
    set_seed(cfg.seed)
    train, dev = train_dev(cfg)
    codecs = ((load_codec(vocab_path(run, "src")), load_codec(vocab_path(run, "tgt"))) if resume
              else make_codecs(cfg, train))
    src_ids, tgt_ids = encode_pairs(train, *codecs)
    keep = length_filter(src_ids, tgt_ids, cfg.max_len, cfg.max_ratio)
    if not len(keep):
        raise DataError(f"no training pair passes max_len {cfg.max_len} and max_ratio {cfg.max_ratio}; "
                        "raise them")
    if len(keep) < len(src_ids):
        print(f"filtered out {len(src_ids) - len(keep)} of {len(src_ids)} training pairs (max_len "
              f"{cfg.max_len}, max_ratio {cfg.max_ratio})", file=sys.stderr)
    pairs = ([src_ids[i] for i in keep], [tgt_ids[i] for i in keep])

    def build_task() -> NMTTask:
        model = build_seq2seq(cfg, len(codecs[0]), len(codecs[1]))
        set_output_prior(model, pairs[1])  # a resumed run loads its trained bias over it
        return NMTTask(cfg, Translator(cfg, *codecs, Ensemble([model])), pairs, dev)

    return train_in_run(cfg, resume, build_task, lambda run_dir: save_codecs(run_dir, codecs))

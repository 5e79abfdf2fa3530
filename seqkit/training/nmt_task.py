"""Neural machine translation as a trainer task; translating from a run: seqkit.inference.translator.

Training saves the vocabularies beside config.yaml and the checkpoints, so that the run directory alone
translates.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import asset_source, prepare_run_dir
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
from seqkit.data.subword import Codec, build_codec, load_codec, short_of
from seqkit.data.vocab import Vocab
from seqkit.decoding.options import DecodeOptions
from seqkit.errors import DataError
from seqkit.inference.ensemble import Ensemble
from seqkit.inference.translator import SIDES, Translator, vocab_path
from seqkit.metrics.bleu import corpus_scores
from seqkit.models.base import float32_logits
from seqkit.models.seq2seq import Seq2Seq, build_seq2seq, set_output_prior
from seqkit.training.trainer import set_seed, train_in_run


def make_codecs(cfg: NMTConfig, train: ParallelText) -> tuple[Codec, Codec]:
    """The given vocabulary files, else vocabularies built on the training text (joint or one each)."""
    given = {"src": cfg.src_vocab, "tgt": cfg.tgt_vocab}
    if cfg.joint_vocab and not any(given.values()):
        joint = built_codec(cfg, train.src + train.tgt, f"{cfg.src} and {cfg.tgt}")
        return joint, joint
    texts = {"src": train.src, "tgt": train.tgt}
    return tuple(load_codec(given[side]) if given[side] else built_codec(cfg, texts[side], getattr(cfg, side))
                 for side in SIDES)


def built_codec(cfg: NMTConfig, texts: Sequence[str], name: str) -> Codec:
    """A vocabulary of the training text. A small corpus often has fewer sentencepiece pieces than the
    default --vocab-size: training goes on with what it has, and one warning line says so."""
    codec = build_codec(texts, cfg.vocab_type, cfg.vocab_size, cfg.min_count, cfg.seed)
    if short_of(codec, cfg.vocab_size):
        print(f"warning: {name}: the training text gives {len(codec)} {cfg.vocab_type} pieces, fewer than "
              f"--vocab-size {cfg.vocab_size}; training with {len(codec)}", file=sys.stderr)
    return codec


def save_codecs(run_dir: Path, codecs: Sequence[Codec]) -> None:
    """src.* and tgt.* beside the config."""
    for side, codec in zip(SIDES, codecs):
        codec.save(run_dir / f"{side}{codec.suffix}")


# --- search ----------------------------------------------------------------------------------------
def token_nll(logits: tf.Tensor, target: tf.Tensor, smoothing: float = 0.0) -> tf.Tensor:
    """Sum of the cross-entropies of logits [n, vocab] against target ids [n], smoothed toward uniform by
    `smoothing`: (1 - s) * nll + s * mean over the vocabulary of -log p; in float32 under mixed precision."""
    logp = tf.nn.log_softmax(float32_logits(logits))
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


class NMTTask:
    """Token-bucketed pairs; label-smoothed cross-entropy per target token; validation perplexity and
    BLEU."""

    unit = "tokens"
    xla = False  # batches by tokens take many shapes: XLA would compile one program for each
    goals = {"bleu": "max", "loss": "min", "ppl": "min"}

    def __init__(self, cfg: NMTConfig, translator: Translator, train_ids: tuple[list, list],
                 valid: ParallelText) -> None:
        self.cfg, self.translator, self.valid = cfg, translator, valid
        self.model = translator.ensemble.models[0]
        self.stream = PairBatches(*train_ids, cfg.batch_tokens, cfg.batch_size, cfg.seed)
        self.steps_per_epoch = self.stream.steps_per_epoch
        self.valid_ids = encode_pairs(valid, translator.src, translator.tgt)
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
        src_ids, tgt_ids = self.valid_ids
        for b in range(0, len(src_ids), self.cfg.eval_batch_size):
            tgt_in, tgt_out = target_io(tgt_ids[b:b + self.cfg.eval_batch_size])
            t, c = self._nll(pad_batch(src_ids[b:b + self.cfg.eval_batch_size]), tgt_in, tgt_out)
            total, count = total + float(t), count + int(c)
        options = DecodeOptions(beam=self.cfg.eval_beam, alpha=self.cfg.alpha)
        hyps = self.translator.translate(self.valid.src, options)
        scores = corpus_scores(hyps, [self.valid.tgt])
        return {"bleu": scores["bleu"], "chrf": scores["chrf"], "loss": total / count,
                "ppl": math.exp(min(total / count, 50.0))}

    def data_position(self) -> dict[str, np.ndarray]:
        return {"epoch": np.array(self.stream.epoch), "index": np.array(self.stream.index)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        self.stream.epoch, self.stream.index = int(arrays["epoch"]), int(arrays["index"])


def train_valid(cfg: NMTConfig) -> tuple[ParallelText, ParallelText]:
    """(train, validation): the files given, or valid_size seeded pairs held out of the training data."""
    train = read_parallel(cfg.src, cfg.tgt)
    if train.skipped:
        print(f"skipped {train.skipped} line pair(s) with an empty side in {cfg.src}, {cfg.tgt}",
              file=sys.stderr)
    if cfg.valid_src:
        return train, read_parallel(cfg.valid_src, cfg.valid_tgt)
    cut = min(cfg.valid_size, len(train) // 10)
    if cut < 1:
        raise DataError(f"{cfg.src}: {len(train)} pair(s) are too few to hold out a validation set; give "
                        "--valid-src and --valid-tgt")
    order = np.random.default_rng(cfg.seed).permutation(len(train))

    def pick(index):
        return ParallelText([train.src[i] for i in index], [train.tgt[i] for i in index])

    return pick(order[cut:]), pick(order[:cut])


def train_nmt(cfg: NMTConfig, resume: bool = False, overwrite: bool = False) -> dict:
    """Train (or resume) an attentional NMT model in cfg.run; the last validation metrics and the best
    checkpoint's step and metric."""
    cfg.validate()
    prepare_run_dir(cfg, resume, overwrite)
    set_seed(cfg.seed)
    train, valid = train_valid(cfg)
    source = asset_source(cfg, resume)
    codecs = (tuple(load_codec(vocab_path(source, side)) for side in SIDES) if source
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
        set_output_prior(model, pairs[1])  # resume and --init-from load a trained bias over it
        return NMTTask(cfg, Translator(cfg, *codecs, Ensemble([model])), pairs, valid)

    return train_in_run(cfg, resume, overwrite, build_task, lambda run_dir: save_codecs(run_dir, codecs))

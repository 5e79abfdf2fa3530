"""Translating with a trained run (or an ensemble of runs): text in, text out, through the one engine.

The run holds config.yaml, the source and target vocabularies (src.model/tgt.model for sentencepiece,
src.vocab/tgt.vocab for words) and the checkpoints; nothing else is needed. Several runs with the same
vocabularies translate together as an ensemble (mean of their log-probabilities).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import checkpoint_path, read_run_config
from seqkit.config import NMTConfig, check_count
from seqkit.data.labeled import pad_batch
from seqkit.data.parallel import target_io
from seqkit.data.subword import SUFFIX, Codec, load_codec
from seqkit.data.vocab import Vocab
from seqkit.decoding import defaults
from seqkit.decoding.engine import decode
from seqkit.decoding.options import SEARCH, DecodeOptions
from seqkit.decoding.strategies import DecodingStrategy
from seqkit.errors import CheckpointError, ConfigError
from seqkit.inference.ensemble import Ensemble
from seqkit.inference.runs import average_path, load_weights
from seqkit.models.seq2seq import Seq2Seq, build_seq2seq

SIDES = ("src", "tgt")
BANNED = (Vocab.pad_id, Vocab.bos_id)  # never an output word


def vocab_path(run_dir: str | Path, side: str) -> Path:
    """The run's vocabulary file for `side` ('src' or 'tgt'), whichever kind it is."""
    for suffix in sorted(set(SUFFIX.values())):
        path = Path(run_dir) / f"{side}{suffix}"
        if path.exists():
            return path
    raise CheckpointError(f"{run_dir}: no {side} vocabulary ({side}.model or {side}.vocab); is it an NMT "
                          "run?")


def search_function(ensemble: Ensemble, strategy: DecodingStrategy, min_len: int, no_repeat_ngram: int):
    """search(src [batch, len], max_len [batch], seed) -> Decoded: encode, then the one engine."""

    def search(src, max_len, seed):
        context, state = ensemble.encode(src)
        start = tf.fill([tf.shape(src)[0]], Vocab.bos_id)
        return decode(ensemble.step, state, context, start, max_len, strategy, eos_id=Vocab.eos_id,
                      banned=BANNED, min_len=min_len, no_repeat_ngram=no_repeat_ngram, seed=seed,
                      source_mask=tf.not_equal(src, Vocab.pad_id))

    return search


@functools.lru_cache(maxsize=32)
def compiled_search(ensemble: Ensemble, strategy: DecodingStrategy, min_len: int, no_repeat_ngram: int):
    """`search_function`, compiled once per option set."""
    spec = (tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([], tf.int32))
    return tf.function(search_function(ensemble, strategy, min_len, no_repeat_ngram), input_signature=spec)


def output_limits(lengths: tf.Tensor, min_len: int, max_ratio: float, max_extra: int,
                  max_output: int) -> tf.Tensor:
    """The longest outputs [batch] for sources of `lengths` tokens: min(ceil(max_ratio * n) + max_extra,
    max_output), at least min_len + 1; in float64, so that a SavedModel's graph rounds as Python does."""
    ratio = tf.math.ceil(max_ratio * tf.cast(lengths, tf.float64))
    return tf.maximum(tf.minimum(tf.cast(ratio, tf.int32) + max_extra, max_output), min_len + 1)


def check_limits(max_ratio: float, max_extra: int, max_output: int) -> None:
    """ConfigError unless the output length limits are usable (a NaN max_ratio fails too)."""
    if not (max_ratio >= 0 and max_extra >= 0 and max_output >= 1):
        raise ConfigError(f"max_ratio and max_extra cannot be negative, and max_output must be at least 1, "
                          f"not {max_ratio}, {max_extra} and {max_output}")


def strip(ids: np.ndarray) -> list[int]:
    """The words of one output row, up to (not including) </s>."""
    row = ids.tolist()
    return row[:row.index(Vocab.eos_id)] if Vocab.eos_id in row else [i for i in row if i]


@dataclass
class Translator:
    """A trained model (or ensemble) with its vocabularies."""

    cfg: NMTConfig
    src: Codec
    tgt: Codec
    ensemble: Ensemble

    def search(self, ids: Sequence[np.ndarray], options: DecodeOptions = SEARCH,
               max_ratio: float = defaults.MAX_RATIO, max_extra: int = defaults.MAX_EXTRA,
               max_output: int = defaults.MAX_OUTPUT, batch_size: int | None = None,
               ) -> list[list[tuple[list[int], float]]]:
        """n-best (target ids, score) per source; sentences of similar length share a batch; the longest
        output of a source of n tokens is min(max_ratio * n + max_extra, max_output)."""
        check_limits(max_ratio, max_extra, max_output)
        check_count("--batch-size", batch_size)
        search = compiled_search(self.ensemble, options.strategy(), options.min_len, options.no_repeat_ngram)
        batch_size = batch_size or self.cfg.eval_batch_size
        out: list[list[tuple[list[int], float]]] = [[] for _ in ids]
        order = [i for i in np.argsort([len(s) for s in ids], kind="stable") if len(ids[i])]
        for b in range(0, len(order), batch_size):
            chunk = order[b:b + batch_size]
            limit = output_limits(tf.constant([len(ids[i]) for i in chunk]), options.min_len, max_ratio,
                                  max_extra, max_output)
            found = search(pad_batch([ids[i] for i in chunk]), limit, tf.constant(options.seed + b, tf.int32))
            for i, rows, scores in zip(chunk, found.ids.numpy(), found.scores.numpy()):
                out[i] = [(strip(r), float(s)) for r, s in zip(rows, scores) if s > -1e8]
        return out

    def encode_lines(self, lines: Sequence[str], max_source: int = defaults.MAX_SOURCE,
                     first_line: int = 1) -> list[np.ndarray]:
        """Source ids per line (none for a blank line); a line of more than `max_source` tokens is cut to
        them, with a warning on stderr naming it (lines counted from `first_line`, for a stream fed one
        line at a time), so that one huge line cannot stall a batch."""
        ids = []
        for n, line in enumerate(lines, first_line):
            x = self.src.encode(line) if line.strip() else np.zeros(0, np.int32)
            if len(x) > max_source:
                print(f"warning: input line {n} has {len(x)} tokens; translating its first {max_source} "
                      "(--max-source)", file=sys.stderr)
                x = x[:max_source]
            ids.append(x)
        return ids

    def translate(self, lines: Sequence[str], options: DecodeOptions = SEARCH,
                  max_source: int = defaults.MAX_SOURCE, first_line: int = 1,
                  **limits) -> list[str] | list[list[tuple[str, float]]]:
        """One detokenized translation per line ('' for a blank line), or with options.nbest > 1 the
        n best (translation, score) pairs; `limits` are search's (max_ratio, max_extra, max_output,
        batch_size); warnings count lines from `first_line`."""
        found = self.search(self.encode_lines(lines, max_source, first_line), options, **limits)
        if options.nbest == 1:
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


def load_model(run_dir: str | Path, which: str = "best") -> tuple[NMTConfig, Codec, Codec, Seq2Seq]:
    """Config, vocabularies and model with trained weights ('best', 'latest', 'average' or a step), from
    the run directory alone."""
    cfg = read_run_config(run_dir, NMTConfig)
    src, tgt = (load_codec(vocab_path(run_dir, side)) for side in SIDES)
    if which == "average" and not average_path(run_dir).exists():
        raise CheckpointError(f"{run_dir}: no averaged checkpoint; write one with `seqkit average {run_dir}`")
    path = average_path(run_dir) if which == "average" else checkpoint_path(run_dir, which)  # before building
    return cfg, src, tgt, load_weights(build_seq2seq(cfg, len(src), len(tgt)), cfg, path)


def load_translator(runs: str | Path | Sequence[str | Path], which: str = "best") -> Translator:
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

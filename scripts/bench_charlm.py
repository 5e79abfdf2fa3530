"""Benchmark: character LM trained for a fixed wall-clock budget on Shakespeare, then sampling speed.

Protocol (issue 2): train for --seconds (600) on ../shared/data/shakespeare/shakespeare.txt, first 90%
train, last 10% validation, alphabet = every character of the file; report validation nats/char and
bits/char over the whole validation split, training chars/s, and sampling chars/s at batch 1 and 64.
The reference for sampling runs in the same process: the TensorFlow text-generation tutorial's loop,
one compiled step called from Python per character, on the same model.

    python scripts/bench_charlm.py                       # the defaults of `seqkit train char-rnn`
    python scripts/bench_charlm.py --cell gru --units 768
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqkit.api import train_char_rnn
from seqkit.config import CharRNNConfig
from seqkit.decoding.options import SAMPLING
from seqkit.inference.sampler import compiled_generate, load_language_model

SHAKESPEARE = Path(__file__).resolve().parents[2] / "shared/data/shakespeare/shakespeare.txt"


def sampling_rate(model, batch: int, length: int = 2000) -> float:
    """Steady-state chars/s of seqkit's compiled sampling loop (compiled once before timing)."""
    generate = compiled_generate(model, SAMPLING.strategy(), length, 0)
    first, state = tf.zeros([batch], tf.int32), model.initial_state(batch)
    generate(first, state, tf.constant(0)).numpy()
    t = time.perf_counter()
    generate(first, state, tf.constant(1)).numpy()
    return batch * length / (time.perf_counter() - t)


def one_step_loop_rate(model, length: int = 300) -> float:
    """chars/s of the tutorial's sampler: a tf.function step per character, driven from Python."""

    @tf.function
    def one_step(x, state):
        logits, state, _ = model.step(x, state)
        return tf.random.categorical(logits, 1, dtype=tf.int32)[:, 0], state

    x, state = tf.zeros([1], tf.int32), model.initial_state(1)
    x, state = one_step(x, state)
    t = time.perf_counter()
    for _ in range(length):
        x, state = one_step(x, state)
    x.numpy()
    return length / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(SHAKESPEARE))
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--run", default="", help="run directory (default: a temporary one)")
    tunable = ("cell", "layers", "units", "embedding_dim", "dropout", "batch_size", "seq_len", "reset_every",
               "learning_rate", "schedule", "decay_steps", "decay_rate", "seed")
    defaults = CharRNNConfig()
    for f in fields(CharRNNConfig):
        if f.name in tunable:
            p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    args = p.parse_args()
    run = args.run or tempfile.mkdtemp(prefix="bench_charlm_")
    cfg = CharRNNConfig(run=run, data=args.data, valid_fraction=0.1, max_steps=10**9, max_time=args.seconds,
                        eval_every=0, log_every=50, **{k: getattr(args, k) for k in tunable})
    changed = {k: getattr(cfg, k) for k in tunable if getattr(cfg, k) != getattr(defaults, k)}
    print(f"config: {dict((k, getattr(cfg, k)) for k in tunable)}  (changed from defaults: {changed})")

    metrics = train_char_rnn(cfg, overwrite=True)
    train = [json.loads(line) for line in open(Path(run) / "metrics.jsonl") if '"train"' in line]
    chars_per_s = float(np.mean([r["chars_per_s"] for r in train]))
    _, _, model = load_language_model(run, "latest")
    b1, b64, ref = sampling_rate(model, 1), sampling_rate(model, 64), one_step_loop_rate(model)
    print(f"steps {metrics['step']} in {args.seconds:.0f} s, training {chars_per_s:,.0f} chars/s")
    print(f"validation: {metrics['loss']:.4f} nats/char, {metrics['bpc']:.4f} bits/char "
          "(references at 600 s: TF tutorial GRU 2.78, nanoGPT baby 2.25)")
    print(f"sampling: batch 1 {b1:,.0f} chars/s, batch 64 {b64:,.0f} chars/s; "
          f"tutorial one-step loop {ref:,.0f} chars/s")
    print(f"RESULT bpc={metrics['bpc']:.3f} sample_b1_speedup={b1 / ref:.1f}x")


if __name__ == "__main__":
    main()

"""Benchmark: character LMs trained for a fixed wall-clock budget on Shakespeare, then sampling speed.

Protocol (issues 2 and 10): train for --seconds (600) on ../shared/data/shakespeare/shakespeare.txt,
first 90% train, last 10% validation, alphabet = every character of the file; report validation
bits/char over the whole validation split both ways: (a) in windows of the training length with the
state (or a Transformer's context) reset at each window, the protocol of nanoGPT's and the TF
tutorial's figures, and (b) stateful, state carried across windows of 256 (a Transformer: its cache,
which keeps between seq_len/2 and seq_len characters); training chars/s; sampling chars/s at batch 1
and 64. References in the same process: the TensorFlow text-generation tutorial's sampling loop (one
compiled step called from Python per character, on the same model), and with a --cell other than lstm
the default LSTM, trained right after for the same seconds.

    python scripts/bench_charlm.py                       # the defaults of `seqkit train char-lm`
    python scripts/bench_charlm.py --cell transformer    # its preset, then the default LSTM
    python scripts/bench_charlm.py --cell gru --units 768
    python scripts/bench_charlm.py --seconds 120 --precision mixed_float16   # GPU: scripts/gpu_check.sh
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
from seqkit.metrics.perplexity import lm_nats
from seqkit.training.char_lm_task import load_texts

SHAKESPEARE = Path(__file__).resolve().parents[2] / "shared/data/shakespeare/shakespeare.txt"
TUNABLE = ("cell", "layers", "units", "embedding_dim", "model_dim", "heads", "ff_dim", "dropout",
           "batch_size", "seq_len", "reset_every", "learning_rate", "schedule", "decay_steps", "decay_rate",
           "warmup_steps", "max_steps", "seed")
STATEFUL_WINDOW = 256
PRECISIONS = next(f.metadata["choices"] for f in fields(CharRNNConfig) if f.name == "precision")


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


def measure(cfg: CharRNNConfig) -> dict:
    """Train one configuration in the budget, then score the validation split both ways and time sampling."""
    print(f"config: {dict((k, getattr(cfg, k)) for k in TUNABLE)}", flush=True)
    start = time.perf_counter()
    metrics = train_char_rnn(cfg, overwrite=True)
    seconds = time.perf_counter() - start
    train = [json.loads(line) for line in open(Path(cfg.run) / "metrics.jsonl") if '"train"' in line]
    _, alphabet, model = load_language_model(cfg.run, "latest")
    valid = alphabet.encode(load_texts(cfg)[1])
    windowed = lm_nats(model, valid, cfg.eval_batch_size, cfg.seq_len, reset=True)
    stateful = lm_nats(model, valid, cfg.eval_batch_size, STATEFUL_WINDOW)
    row = {"cell": cfg.cell, "params": model.count_params(), "steps": metrics["step"],
           "seconds": round(seconds),
           "train_chars_per_s": round(float(np.mean([r["chars_per_s"] for r in train]))),
           "window": cfg.seq_len, "bpc_windows_reset": round(windowed["bpc"], 3),
           "bpc_stateful": round(stateful["bpc"], 3),
           "sample_b1_chars_per_s": round(sampling_rate(model, 1)),
           "sample_b64_chars_per_s": round(sampling_rate(model, 64)),
           "tutorial_loop_b1_chars_per_s": round(one_step_loop_rate(model))}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(SHAKESPEARE))
    p.add_argument("--seconds", type=float, default=600.0, help="training budget of each configuration")
    p.add_argument("--precision", default="float32", choices=PRECISIONS,
                   help="training precision of every configuration (sampling and scoring run in float32)")
    p.add_argument("--run", default="", help="folder for the runs (default: a temporary one)")
    p.add_argument("--out", help="write the results as JSON here")
    for f in fields(CharRNNConfig):
        if f.name in TUNABLE:  # None: the value of the cell's preset, else the config's default
            p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=None)
    args = p.parse_args()
    root = Path(args.run or tempfile.mkdtemp(prefix="bench_charlm_"))
    given = {k: getattr(args, k) for k in TUNABLE if getattr(args, k) is not None}
    common = dict(data=args.data, valid_fraction=0.1, max_time=args.seconds, eval_every=0, log_every=20,
                  precision=args.precision)
    configs = [CharRNNConfig.with_presets(run=str(root / given.get("cell", "lstm")), **common, **given)]
    if given.get("cell") not in (None, "lstm"):  # the reference: the default LSTM, same budget, same run
        configs.append(CharRNNConfig.with_presets(run=str(root / "lstm"), **common,
                                                  seed=given.get("seed", 0)))
    rows = [measure(cfg) for cfg in configs]
    print("\n| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row.values()) + " |")
    if len(rows) == 2:
        a, b = rows
        print(f"RESULT {a['cell']} vs lstm: windowed bpc {a['bpc_windows_reset']} vs "
              f"{b['bpc_windows_reset']}, "
              f"stateful {a['bpc_stateful']} vs {b['bpc_stateful']}, "
              f"training chars/s {a['train_chars_per_s'] / b['train_chars_per_s']:.2f}x, "
              f"sampling b1 {a['sample_b1_chars_per_s'] / b['sample_b1_chars_per_s']:.2f}x, "
              f"b64 {a['sample_b64_chars_per_s'] / b['sample_b64_chars_per_s']:.2f}x")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()

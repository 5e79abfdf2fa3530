"""Benchmark: character LMs trained for a fixed wall-clock budget on Shakespeare, then sampling speed.

Protocol (issues 2 and 10): train for --seconds (600) on ../shared/data/shakespeare/shakespeare.txt,
first 90% train, last 10% validation, alphabet = every character of the file; report validation
bits/char over the whole validation split both ways: (a) in windows of the training length with the
state (or a Transformer's context) reset at each window, the protocol of nanoGPT's and the TF
tutorial's figures, and (b) stateful, state carried across windows of 256 (a Transformer: its cache,
which keeps between seq_len/2 and seq_len characters); training chars/s; sampling chars/s at batch 1
and 64; the training step's GFLOP/s (seqkit.metrics.flops: forward + backward matrix products) as a
share of tf.matmul's rate on this machine, measured in the same process right after each model trains,
at the model's largest product and at 2048 x 2048. References in the same process: the TensorFlow
text-generation tutorial's model (Embedding, GRU 1024, Dense, `model.fit`, state reset per window;
scripts/tutorial_gru.py) trained for the same seconds and scored the same two ways; its sampling loop
(one compiled step called from Python per character, on seqkit's model); with model flags given, the
default model trained for the same seconds.

    python scripts/bench_charlm.py                       # the defaults of `seqkit train char-lm`
    python scripts/bench_charlm.py --cell lstm           # the LSTM, then the default Transformer
    python scripts/bench_charlm.py --cell gru --units 768
    python scripts/bench_charlm.py --seconds 120 --precision mixed_float16   # GPU: scripts/gpu_check.sh
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import tensorflow as tf
from tutorial_gru import BATCH, WINDOW, train_tutorial

from seqkit.api import train_char_rnn
from seqkit.config import CharRNNConfig
from seqkit.data.alphabet import Alphabet
from seqkit.decoding.options import SAMPLING
from seqkit.inference.sampler import compiled_generate, load_language_model
from seqkit.metrics.curves import training_rate
from seqkit.metrics.flops import char_lm_forward, efficiency, largest_product, matmul_reference, train_flops
from seqkit.metrics.perplexity import lm_nats
from seqkit.training.char_lm_task import load_texts

SHAKESPEARE = Path(__file__).resolve().parents[2] / "shared/data/shakespeare/shakespeare.txt"
TUNABLE = ("cell", "layers", "units", "embedding_dim", "model_dim", "heads", "ff_dim", "dropout",
           "batch_size", "seq_len", "reset_every", "learning_rate", "schedule", "decay_steps", "decay_rate",
           "warmup_steps", "max_steps", "seed")
STATEFUL_WINDOW = 256
CALIBRATION = 45.0  # seconds of training that measure a model's steps/s
SLACK = 0.97  # of the budget given to steps: tracing the step takes the rest
CHOICES = {f.name: f.metadata["choices"] for f in fields(CharRNNConfig) if "choices" in f.metadata}


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


def step_efficiency(model, batch: int, seq_len: int, chars_per_s: float) -> dict:
    """The training step's GFLOP/s and its shares of tf.matmul's rates, measured now, at the model's
    largest product (on the rows it is applied to at once) and at 2048 x 2048."""
    rows = batch if getattr(model, "carries_state", True) else batch * seq_len
    rates = matmul_reference(largest_product(model, rows))
    per_char = train_flops(char_lm_forward(model, batch, seq_len)) / (batch * seq_len)
    return efficiency(per_char, chars_per_s, rates)


def scores(model, ids, eval_batch: int, window: int, forward=None) -> dict:
    """Validation bits/char in windows of the training length read on their own, and stateful."""
    windowed = lm_nats(model, ids, eval_batch, window, forward, reset=True)
    stateful = lm_nats(model, ids, eval_batch, STATEFUL_WINDOW, forward)
    return {"window": window, "bpc_windows_reset": round(windowed["bpc"], 3),
            "bpc_stateful": round(stateful["bpc"], 3)}


def fit_steps(cfg: CharRNNConfig, seconds: float) -> CharRNNConfig:
    """cfg with max_steps set to the steps that fit in `seconds`, so that a schedule over the run (the
    Transformer's cosine) ends with the budget, as nanoGPT's harness sets its iterations: the rate of
    CALIBRATION seconds of the same model, the first window (tracing) left out. max_time stays the stop."""
    probe = replace(cfg, run=cfg.run + "-calibration", max_steps=0, max_time=CALIBRATION, schedule="constant",
                    warmup_steps=0, valid_chars=2 * cfg.seq_len)
    train_char_rnn(probe, overwrite=True)
    steps_per_s = training_rate(probe.run, "chars", skip=1) / (cfg.batch_size * cfg.seq_len)
    steps = int(steps_per_s * seconds * SLACK)
    print(f"calibration: {steps_per_s:.2f} steps/s, so max_steps {steps} in {seconds:.0f} s", flush=True)
    return replace(cfg, max_steps=steps)


def measure(cfg: CharRNNConfig, valid: str) -> dict:
    """Train one configuration in the budget, then score the validation split both ways and time sampling."""
    print(f"config: {dict((k, getattr(cfg, k)) for k in TUNABLE)}", flush=True)
    start = time.perf_counter()
    metrics = train_char_rnn(cfg, overwrite=True)
    seconds = time.perf_counter() - start
    _, alphabet, model = load_language_model(cfg.run, "latest")
    chars_per_s = training_rate(cfg.run, "chars")
    row = {"model": cfg.cell, "params": model.count_params(), "steps": metrics["step"],
           "seconds": round(seconds), "train_chars_per_s": round(chars_per_s),
           **step_efficiency(model, cfg.batch_size, cfg.seq_len, chars_per_s),
           **scores(model, alphabet.encode(valid), cfg.eval_batch_size, cfg.seq_len),
           "sample_b1_chars_per_s": round(sampling_rate(model, 1)),
           "sample_b64_chars_per_s": round(sampling_rate(model, 64)),
           "tutorial_loop_b1_chars_per_s": round(one_step_loop_rate(model))}
    print(json.dumps(row), flush=True)
    return row


def measure_tutorial(train: str, valid: str, seconds: float, seed: int, eval_batch: int) -> dict:
    """The tutorial's GRU trained for `seconds` on the same split and alphabet, scored the same two ways."""
    alphabet = Alphabet.from_text(train, valid)
    model, fit = train_tutorial(alphabet.encode(train), len(alphabet), seconds, seed)
    row = {"model": "tutorial-gru", "params": model.count_params(), "steps": fit["steps"],
           "seconds": fit["seconds"], "train_chars_per_s": fit["chars_per_s"],
           **step_efficiency(model, BATCH, WINDOW, fit["chars_per_s"]),
           **scores(model, alphabet.encode(valid), eval_batch, WINDOW, model.scorer())}
    print(json.dumps(row), flush=True)
    return row


def ratios(a: dict, b: dict) -> str:
    """One line: model a against reference b."""
    line = (f"RESULT {a['model']} vs {b['model']}: windowed bpc {a['bpc_windows_reset']} vs "
            f"{b['bpc_windows_reset']}, stateful {a['bpc_stateful']} vs {b['bpc_stateful']}, "
            f"training chars/s {a['train_chars_per_s'] / b['train_chars_per_s']:.2f}x")
    if "sample_b1_chars_per_s" in b:
        line += (f", sampling b1 {a['sample_b1_chars_per_s'] / b['sample_b1_chars_per_s']:.2f}x, "
                 f"b64 {a['sample_b64_chars_per_s'] / b['sample_b64_chars_per_s']:.2f}x")
    return line


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(SHAKESPEARE))
    p.add_argument("--seconds", type=float, default=600.0, help="training budget of each configuration")
    p.add_argument("--precision", default="float32", choices=CHOICES["precision"],
                   help="training precision of every configuration (sampling and scoring run in float32)")
    p.add_argument("--xla", default="auto", choices=CHOICES["xla"], help="XLA for seqkit's models")
    p.add_argument("--no-tutorial", action="store_true", help="leave out the TF tutorial's GRU")
    p.add_argument("--alone", action="store_true",
                   help="train the configuration given by the flags only: no reference models")
    p.add_argument("--run", default="", help="folder for the runs (default: a temporary one)")
    p.add_argument("--out", help="write the results as JSON here")
    for f in fields(CharRNNConfig):
        if f.name in TUNABLE:  # None: the value of the cell's preset, else the config's default
            p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=None)
    args = p.parse_args()
    root = Path(args.run or tempfile.mkdtemp(prefix="bench_charlm_"))
    given = {k: getattr(args, k) for k in TUNABLE if getattr(args, k) is not None}
    common = dict(data=args.data, valid_fraction=0.1, max_time=args.seconds, eval_every=0, log_every=10,
                  precision=args.precision, xla=args.xla)
    default = CharRNNConfig(run=str(root / "default"), **common, seed=given.get("seed", 0))
    configs = [CharRNNConfig(run=str(root / "given"), **common, **given)] if given else []
    if not (args.alone and given):
        configs.append(default)  # the reference: the default model, same budget, same process
    train, valid = load_texts(default)
    if "max_steps" not in given:
        configs = [fit_steps(cfg, args.seconds) for cfg in configs]
    rows = [measure(cfg, valid) for cfg in configs]
    if not (args.no_tutorial or args.alone):
        rows.append(measure_tutorial(train, valid, args.seconds, default.seed, default.eval_batch_size))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")
    for reference in rows[1:]:
        print(ratios(rows[0], reference))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark: attentional NMT on the Bible, Spanish -> English (issue 3).

Protocol: train on ../shared/data/bible_es_en/train.{es,en} (29,276 verse pairs) for a fixed wall-clock
budget (--minutes, evaluation included), selecting checkpoints by validation BLEU (dev.{es,en}: 176
verses, beam 5), then report for the best checkpoint: validation BLEU and chrF with greedy search and
with beam 5 (sacrebleu, detokenized), validation perplexity, training target tokens/s (mean over the
logged windows, evaluation excluded) and beam-5 decoding sentences/s (the whole validation set, batch
64, best of 3), as the
model translates and with every output forced to 40 tokens (equal work for any model or toolkit: Joey
NMT's min = max output length); and the training step's GFLOP/s (seqkit.metrics.flops: the forward and
backward matrix products of the training pairs, padding not counted) as a share of tf.matmul's rate on
this machine, measured in the same process after training, at the decoder's largest product and at
2048 x 2048.

Configurations: `joey` is the reference's size (bi-LSTM 256 each way, LSTM 256 decoder, Luong general
attention, input feeding, joint sentencepiece unigram 8k, batches of 2,000 tokens); `--compare` adds the
seed's comparison, the same model with no attention and with Bahdanau attention, same budget;
`--transformer` runs `--model transformer` (its preset, same vocabulary and batches) and then `joey`,
one after the other for the same minutes. `--set key=value` changes any NMTConfig field of every
configuration.

    python scripts/bench_nmt.py --minutes 30 --compare
    python scripts/bench_nmt.py --minutes 15 --transformer
    python scripts/bench_nmt.py --minutes 5 --only bahdanau --set batch_tokens=3000
    python scripts/bench_nmt.py --decode-only --runs runs/bench_nmt       # decoding of trained runs again
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from seqkit.config import NMTConfig
from seqkit.data.parallel import read_parallel
from seqkit.decoding.options import DecodeOptions
from seqkit.inference.translator import load_translator
from seqkit.metrics.bleu import corpus_scores
from seqkit.metrics.curves import read_records, training_rate
from seqkit.metrics.flops import efficiency, largest_product, matmul_reference, seq2seq_forward, train_flops
from seqkit.training.nmt_task import train_nmt

BIBLE = Path(__file__).resolve().parents[2] / "shared/data/bible_es_en"
JOEY = dict(units=256, encoder_units=0, embedding_dim=256, layers=1, cell="lstm", attention="luong-general",
            vocab_type="unigram", vocab_size=8000, joint_vocab=True, batch_tokens=2000)
FIXED_LEN = 40  # tokens per output when decoding speed is compared at equal work
VOCAB = dict(vocab_type="unigram", vocab_size=8000, joint_vocab=True, batch_tokens=2000)
CONFIGS = {"joey": JOEY, "no-attention": JOEY | {"attention": "none"},
           "bahdanau": JOEY | {"attention": "bahdanau"}, "transformer": VOCAB | {"model": "transformer"}}
COMPARE = ("joey", "no-attention", "bahdanau")


def decode_rate(translator, lines: list[str], options: DecodeOptions, repeats: int = 3,
                **limits) -> tuple[list[str], float]:
    """Translations and best-of-`repeats` sentences/s (after a warm-up that compiles the search)."""
    out = translator.translate(lines, options, **limits)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        translator.translate(lines, options, **limits)
        best = min(best, time.perf_counter() - t)
    return out, len(lines) / best


def step_efficiency(translator, cfg: NMTConfig, tokens_per_s: float) -> dict:
    """GFLOP/s of training at `tokens_per_s` target tokens/s, and its shares of tf.matmul's rates."""
    pairs = read_parallel(cfg.src, cfg.tgt)
    src = np.array([len(translator.src.encode(line)) for line in pairs.src])
    tgt = np.array([len(translator.tgt.encode(line)) + 1 for line in pairs.tgt])  # + </s>
    model = translator.ensemble.models[0]
    per_token = train_flops(seq2seq_forward(model, cfg, src, tgt)) / tgt.sum()
    # A Transformer applies its kernels to every token of a batch at once, a recurrent decoder to one
    # token of each sentence per step.
    sentences = cfg.batch_size or cfg.batch_tokens / tgt.mean()
    rows = int(sentences * tgt.mean() if cfg.decoder == "transformer" else sentences)
    return efficiency(per_token, tokens_per_s, matmul_reference(largest_product(model.decoder, rows)))


def bench(name: str, cfg: NMTConfig, train: bool = True) -> dict:
    """Train one configuration in its budget (unless `train` is False: a trained run) and measure it."""
    start = time.perf_counter()
    if train:
        train_nmt(cfg, overwrite=True)
    minutes = (time.perf_counter() - start) / 60
    valid = read_parallel(cfg.valid_src, cfg.valid_tgt)
    translator = load_translator(cfg.run)
    row = {"config": name, "minutes": round(minutes, 1),
           "train_tokens_per_s": round(training_rate(cfg.run, "tokens"))}
    for beam in (1, 5):
        hyps, rate = decode_rate(translator, valid.src, DecodeOptions(beam=beam))
        scores = corpus_scores(hyps, [valid.tgt])
        row |= {f"bleu_beam{beam}": round(scores["bleu"], 2), f"chrf_beam{beam}": round(scores["chrf"], 2),
                f"sentences_per_s_beam{beam}": round(rate, 1)}
    # The same work for any model: every hypothesis forced to FIXED_LEN tokens (Joey: min = max length).
    forced = DecodeOptions(beam=5, min_len=FIXED_LEN)
    _, rate = decode_rate(translator, valid.src, forced, max_ratio=0.0, max_extra=FIXED_LEN)
    row[f"sentences_per_s_beam5_len{FIXED_LEN}"] = round(rate, 1)
    best = json.loads((Path(cfg.run) / "checkpoints/best.json").read_text())
    evals = [r for r in read_records(cfg.run) if r["split"] == "valid" and r["step"] == best["step"]]
    row |= step_efficiency(translator, cfg, row["train_tokens_per_s"])
    row |= {"best_step": best["step"], "valid_ppl": round(evals[-1]["ppl"], 2) if evals else None,
            "signature": scores["bleu_signature"]}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0, help="training budget per configuration")
    p.add_argument("--data", default=str(BIBLE), help="folder with train.{es,en} and dev.{es,en}")
    p.add_argument("--runs", default="runs/bench_nmt", help="where the runs are written")
    p.add_argument("--compare", action="store_true", help="also no attention and Bahdanau, same budget")
    p.add_argument("--transformer", action="store_true",
                   help="the Transformer preset, then joey, same budget")
    p.add_argument("--only", choices=list(CONFIGS), help="run this one configuration")
    p.add_argument("--eval-every", type=int, default=250, help="validation interval, steps")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a config field")
    p.add_argument("--out", help="write the results as JSON here")
    p.add_argument("--decode-only", action="store_true",
                   help="measure the runs already in --runs without training them again")
    args = p.parse_args()
    data = Path(args.data)
    common = dict(src=str(data / "train.es"), tgt=str(data / "train.en"), valid_src=str(data / "dev.es"),
                  valid_tgt=str(data / "dev.en"), max_steps=0, max_time=args.minutes * 60,
                  eval_every=args.eval_every)
    fields = {f.name: f for f in dataclasses.fields(NMTConfig)}
    for item in args.set:
        key, value = item.split("=", 1)
        kind = type(fields[key].default)
        common[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    names = (COMPARE if args.compare else ("transformer", "joey") if args.transformer
             else (args.only or "joey",))
    rows = [bench(name, NMTConfig(**(CONFIGS[name] | common | {"run": f"{args.runs}/{name}"})),
                  not args.decode_only) for name in names]
    keys = [k for k in rows[0] if k != "signature"]
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(v) for k, v in row.items() if k != "signature") + " |")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()

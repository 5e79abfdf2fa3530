"""Benchmark: seqkit's text classifiers on the tweets, on large and on small data (issue 13).

Protocol, the same for every model: it is trained on a training set with seqkit's defaults for model
selection (no --valid: a seeded 10% of the training set is held out to choose the checkpoint, or C for
the linear model) and scored on ../shared/data/tweets/dev.csv (3,694 tweets), which no model sees
before. Two training sets: `large`, the tweets' whole training split (29,739), and `small`, a seeded
3,200-tweet sample of it (the size of many users' own data). Each row reports dev accuracy and macro-F1,
training seconds, and classification throughput (texts/s end to end: tokenize, encode, model; batch
256; best of 3), all measured in this one process on this machine; a CNN row also its training step's
GFLOP/s (seqkit.metrics.flops: the forward and backward products over the training texts' tokens) as a
share of tf.matmul's rate at the widest convolution's product and at 2048 x 2048, measured right after.

Rows: `linear` (`seqkit train linear` defaults: TF-IDF word 1-2-grams + character 2-5-grams, logistic
regression with C chosen on the held-out 10%), `cnn` (`seqkit train cnn-sentiment` defaults),
`glove-nonstatic` and `glove-static` (the defaults with --vectors ../shared/data/glove 50d, fine-tuned
or frozen), and `old-defaults` (the defaults before issue 13: Kim's CNN-rand with 3,4,5 x 128 maps,
random vectors, min count 1, 3 epochs however small the data). The defaults train word2vec on the
training texts first (--word2vec 10); its time counts as training.

    python scripts/bench_cnn.py                          # both sizes, every row (about 20 minutes)
    python scripts/bench_cnn.py --sizes small --rows linear,cnn --seed 1
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from seqkit.config import CNNSentimentConfig, LinearConfig
from seqkit.data.labeled import read_labeled
from seqkit.inference.classifier import load_classifier
from seqkit.metrics.classification import scores
from seqkit.metrics.curves import training_rate
from seqkit.metrics.flops import classifier_forward, efficiency, matmul_reference, train_flops
from seqkit.training.classifier_task import train_cnn_sentiment
from seqkit.training.cross_validation import write_csv
from seqkit.training.linear_task import train_linear

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
GLOVE = SHARED / "glove/glove.6B.50d.top50000.txt"
SMALL = 3200
ROWS = {"linear": (LinearConfig, {}), "cnn": (CNNSentimentConfig, {}),
        "glove-nonstatic": (CNNSentimentConfig, {"vectors": str(GLOVE)}),
        "glove-static": (CNNSentimentConfig, {"vectors": str(GLOVE), "embedding_mode": "static"}),
        "old-defaults": (CNNSentimentConfig, {"widths": "3,4,5", "maps": 128, "word2vec": 0, "min_count": 1,
                                              "min_steps": 0})}


def throughput(predict, texts: list[str], repeats: int = 3) -> float:
    """Best-of-`repeats` texts/s of predict(texts), after one warm-up call."""
    predict(texts)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        predict(texts)
        best = min(best, time.perf_counter() - t)
    return len(texts) / best


def sample(train_csv: Path, n: int, seed: int, out: Path) -> Path:
    """A seeded sample of n examples of a label,text CSV, in file order."""
    data = read_labeled(train_csv)
    write_csv(out, data, np.sort(np.random.default_rng(seed).choice(len(data), n, replace=False)))
    return out


def step_efficiency(clf, train: Path, run: Path) -> dict:
    """The CNN's training GFLOP/s (from its logged examples/s) and its shares of tf.matmul's rates."""
    lengths = np.array([len(ids) for ids in clf.encode(read_labeled(train).texts)])
    per_text = train_flops(classifier_forward(clf.model, lengths.mean(), 1))
    # The widest filter as one matmul: a batch's positions x (width x embedding) x maps.
    conv = max(clf.model.convs, key=lambda c: c.kernel_size[0]).kernel.shape
    shape = (int(clf.cfg.batch_size * lengths.mean()), int(conv[0] * conv[1]), int(conv[2]))
    return efficiency(per_text, training_rate(run, "examples"), matmul_reference(shape))


def run_row(cls, settings: dict, train: Path, run: Path, dev, seed: int) -> dict:
    """Train one configuration, reload its run as `classify` does, and score and time it on dev."""
    cfg = cls(train=str(train), run=str(run), seed=seed, **settings)
    if cls is CNNSentimentConfig:
        cfg.log_every = 50  # the examples/s of these windows give the step its GFLOP/s
    t = time.perf_counter()
    result = (train_linear if cls is LinearConfig else train_cnn_sentiment)(cfg, overwrite=True)
    seconds = time.perf_counter() - t
    clf = load_classifier(run)
    y = [clf.classes.index(label) for label in dev.labels]
    s = scores(np.array(y), clf.probabilities(dev.texts, 256).argmax(axis=1), clf.classes)
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "train_s": seconds,
            "texts_per_s": throughput(lambda texts: clf.probabilities(texts, 256), dev.texts),
            **{k: result[k] for k in ("best_step", "step", "c") if k in result},
            **(step_efficiency(clf, train, run) if cls is CNNSentimentConfig else {})}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(SHARED / "tweets"), help="folder with train.csv and dev.csv")
    p.add_argument("--sizes", default="large,small", help="large (the whole training split), small (3,200)")
    p.add_argument("--rows", default=",".join(ROWS), help=f"which of {', '.join(ROWS)}")
    p.add_argument("--seed", type=int, default=0, help="seeds the sample, the held-out 10% and training")
    p.add_argument("--runs", default="", help="where the run directories go (default: a temporary folder)")
    args = p.parse_args()
    data, runs = Path(args.data), Path(args.runs or tempfile.mkdtemp(prefix="bench_cnn_"))
    runs.mkdir(parents=True, exist_ok=True)
    dev = read_labeled(data / "dev.csv")
    trains = {"large": data / "train.csv", "small": sample(data / "train.csv", SMALL, args.seed,
                                                              runs / "small.csv")}
    print(f"dev {len(dev)} tweets; runs in {runs}; seed {args.seed}")
    results: dict = {}
    for size in args.sizes.split(","):
        for name in args.rows.split(","):
            cls, settings = ROWS[name]
            r = run_row(cls, settings, trains[size], runs / f"{size}-{name}", dev, args.seed)
            results[f"{size}/{name}"] = r
            step = f"  step {r['train_gflops']} GFLOP/s, {r['of_peak']:.0%} of peak" if "of_peak" in r else ""
            print(f"{size:>5} {name:>15}: dev accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  "
                  f"train {r['train_s']:.0f} s  classify {r['texts_per_s']:,.0f} texts/s{step}", flush=True)
    print("RESULT " + json.dumps({k: {m: round(v, 4) if isinstance(v, float) else v for m, v in r.items()}
                                  for k, r in results.items()}))


if __name__ == "__main__":
    main()

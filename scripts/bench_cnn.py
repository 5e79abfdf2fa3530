"""Benchmark: Kim's CNN classifier against TF-IDF + logistic regression on the tweets (issue 5).

Protocol: train on ../shared/data/tweets/train.csv (29,739 tweets: negative, neutral, positive), select
the CNN's checkpoint on dev.csv (3,694) by macro-F1, and report validation accuracy and macro-F1, training
time, and classification throughput (texts/s end to end: tokenize, encode, pad, model; batch 256).
Beside it, in the same process, the baseline: scikit-learn TF-IDF over word 1-2-grams and character
2-5-grams, and logistic regression, fitted on the same training split.

Configurations: `seed` is the issue's (Kim's CNN-rand: 10k words, max length 100, 128 maps of widths
3/4/5, dropout 0.5, constant Adam 1e-3, 5 epochs, batch 50, 300-d random embeddings); `default` is what
`seqkit train cnn-sentiment` does with no flags (the same network with 128-d embeddings, treebank
tokens, Adam 2e-3 with cosine decay over 3 epochs); `best` is the default with 200 maps of widths
1-5, its embeddings started from skip-gram word2vec trained for 10 epochs on the training tweets
themselves (`--widths 1,2,3,4,5 --maps 200 --word2vec 10`; the word2vec time counts as training).
`--set key=value` changes default and best.

    python scripts/bench_cnn.py                                   # baseline, seed, default, best
    python scripts/bench_cnn.py --only best --set word2vec=0 \
        --set vectors=../shared/data/glove/glove.6B.50d.top50000.txt
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from seqkit.config import CNNSentimentConfig
from seqkit.data.labeled import read_labeled
from seqkit.inference.classifier import load_classifier
from seqkit.metrics.classification import scores
from seqkit.training.classifier_task import train_cnn_sentiment

TWEETS = Path(__file__).resolve().parents[2] / "shared/data/tweets"
SEED_CONFIG = dict(max_vocab=10000, max_len=100, widths="3,4,5", maps=128, dropout=0.5, learning_rate=1e-3,
                   schedule="constant", epochs=5, embedding_mode="rand", embedding_dim=300, batch_size=50,
                   patience=0)
BEST_CONFIG = dict(widths="1,2,3,4,5", maps=200, word2vec=10)


def throughput(predict, texts: list[str], repeats: int = 3) -> float:
    """Best-of-`repeats` texts/s of predict(texts), after one warm-up call."""
    predict(texts)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        predict(texts)
        best = min(best, time.perf_counter() - t)
    return len(texts) / best


def baseline(train, valid) -> dict:
    """TF-IDF (word 1-2-grams + char 2-5-grams, sublinear tf) and logistic regression."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    t = time.perf_counter()
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x = hstack([words.fit_transform(train.texts), chars.fit_transform(train.texts)]).tocsr()
    model = LogisticRegression(C=3.0, max_iter=3000).fit(x, train.labels)
    seconds = time.perf_counter() - t

    def predict(texts):
        return model.predict(hstack([words.transform(texts), chars.transform(texts)]).tocsr())

    classes = sorted(set(train.labels))
    pred = [classes.index(p) for p in predict(valid.texts)]
    s = scores([classes.index(y) for y in valid.labels], pred, classes)
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "train_s": seconds,
            "texts_per_s": throughput(predict, valid.texts)}


def cnn(cfg: CNNSentimentConfig, valid) -> dict:
    """Train, reload the best checkpoint from the run, score the validation set and time classification."""
    t = time.perf_counter()
    result = train_cnn_sentiment(cfg, overwrite=True)
    seconds = time.perf_counter() - t
    clf = load_classifier(cfg.run)
    y = [clf.classes.index(label) for label in valid.labels]
    s = scores(y, clf.probabilities(valid.texts, 256).argmax(axis=1), clf.classes)
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "train_s": seconds,
            "texts_per_s": throughput(lambda texts: clf.probabilities(texts, 256), valid.texts),
            "best_step": result["best_step"], "steps": result["step"],
            **{k: v for k, v in result.items() if k.startswith("vectors_")}}


def parse_set(items: list[str]) -> dict:
    """--set key=value pairs, each value converted to the config field's type."""
    types = {f.name: type(f.default) for f in dataclasses.fields(CNNSentimentConfig)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"--set {item}: no config field {key!r}")
        out[key] = value.lower() in ("1", "true", "yes") if types[key] is bool else types[key](value)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(TWEETS), help="folder with train.csv and dev.csv")
    p.add_argument("--only", default="baseline,seed,default,best",
                   help="which of baseline, seed, default, best to run")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a setting of the default and best configurations (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", default="", help="where the run directories go (default: a temporary folder)")
    args = p.parse_args()
    data, runs = Path(args.data), Path(args.runs or tempfile.mkdtemp(prefix="bench_cnn_"))
    train, valid = read_labeled(data / "train.csv"), read_labeled(data / "dev.csv")
    print(f"train {len(train)} tweets, validation {len(valid)}; runs in {runs}")
    common = dict(train=str(data / "train.csv"), valid=str(data / "dev.csv"), seed=args.seed, log_every=100)
    changes = parse_set(args.set)
    overrides = {"seed": SEED_CONFIG, "default": changes, "best": BEST_CONFIG | changes}
    configs = {name: CNNSentimentConfig(run=str(runs / name), **(common | over))
               for name, over in overrides.items()}
    results = {}
    for name in args.only.split(","):
        if name != "baseline":
            changed = {k: v for k, v in dataclasses.asdict(configs[name]).items()
                       if v != getattr(CNNSentimentConfig, k, None) and k not in (*common, "run")}
            print(f"{name}: {changed or 'seqkit defaults'}")
        results[name] = baseline(train, valid) if name == "baseline" else cnn(configs[name], valid)
        r = results[name]
        print(f"{name:>8}: validation accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  "
              f"train {r['train_s']:.0f} s  classify {r['texts_per_s']:,.0f} texts/s", flush=True)
    print("RESULT " + json.dumps({k: {m: round(v, 4) if isinstance(v, float) else v for m, v in r.items()}
                                  for k, r in results.items()}))


if __name__ == "__main__":
    main()

"""Benchmark: seqkit's WMD against gensim's `KeyedVectors.wmdistance`, side by side in one process.

Protocol (issue 4): word2vec on ../shared/data/shakespeare/shakespeare.txt (lowercased lines, 100 dims,
min count 5, fixed seed, one worker); documents are the lines of 8-25 words, without gensim's stop
words. Reported: pairwise pairs/s on 1,000 random pairs, seqkit (POT and pyemd solvers) vs gensim, with
the largest |difference|; the EMD solvers alone on those pairs' cost matrices; kNN (k=10) over 5,000
documents, ms/query for seqkit's prefetch-and-prune index vs gensim brute force, and whether the
neighbours and distances match.

    python scripts/bench_wmd.py
    python scripts/bench_wmd.py --gensim-queries 10 --queries 200
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seqkit.data.tokenize import tokenize
from seqkit.embeddings.word2vec import Word2VecOptions, train_word2vec
from seqkit.metrics.wmd import BOUND_SLACK, OutOfVocabularyWarning, WordMover, stopword_set

SHAKESPEARE = Path(__file__).resolve().parents[2] / "shared/data/shakespeare/shakespeare.txt"


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of a few runs, in seconds: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def max_difference(ours: list[float], theirs: list[float]) -> float:
    """Largest |difference| over finite values; inf if the two disagree on which values are inf."""
    ours_a, theirs_a = np.array(ours), np.array(theirs)
    if (np.isinf(ours_a) != np.isinf(theirs_a)).any():
        return np.inf
    finite = np.isfinite(theirs_a)
    return float(np.abs(ours_a[finite] - theirs_a[finite]).max())


def documents(text: str, stop: frozenset[str]) -> list[list[str]]:
    """The lines of 8-25 words, each without its stop words."""
    lines = (tokenize(line) for line in text.splitlines())
    return [[t for t in words if t not in stop] for words in lines if 8 <= len(words) <= 25]


def solver_times(mover: WordMover, pairs: list[list[list[str]]]) -> dict[str, float]:
    """Microseconds per EMD for each solver on the same sentence-sized problems."""
    import ot
    import pyemd
    from scipy.spatial.distance import cdist

    from seqkit.metrics.wmd import _network_simplex

    emd_c, _ = _network_simplex()
    problems = []
    for a, b in pairs:
        b1, b2 = mover.bag(a), mover.bag(b)
        if min(len(b1.ids), len(b2.ids)) == 0 or len(np.union1d(b1.ids, b2.ids)) == 1:
            continue  # answered without a solver
        union = np.unique(np.concatenate([b1.ids, b2.ids]))
        h1, h2 = np.zeros(len(union)), np.zeros(len(union))
        h1[np.searchsorted(union, b1.ids)], h2[np.searchsorted(union, b2.ids)] = b1.weights, b2.weights
        square = cdist(mover.vectors_of(union), mover.vectors_of(union))
        problems.append((b1.weights, b2.weights, cdist(b1.vectors, b2.vectors), h1, h2, square))
    runs = {
        "ot.emd2": lambda: [ot.emd2(w1, w2, m) for w1, w2, m, *_ in problems],
        "emd_c": lambda: [emd_c(w1, w2, m, 100_000, 1, None, None) for w1, w2, m, *_ in problems],
        "pyemd": lambda: [pyemd.emd(h1, h2, sq) for *_, h1, h2, sq in problems],
    }
    return {name: best_time(run) / len(problems) * 1e6 for name, run in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=SHAKESPEARE)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--queries", type=int, default=100, help="queries timed for seqkit")
    ap.add_argument("--gensim-queries", type=int, default=5, help="queries gensim brute-forces (~2 s each)")
    ap.add_argument("--stopwords", default="gensim", help="none keeps them: longer documents")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore", OutOfVocabularyWarning)  # counted below instead

    text = args.corpus.read_text(encoding="utf-8").lower()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text(text, encoding="utf-8")
        t = time.perf_counter()
        kv = train_word2vec(corpus, Word2VecOptions(dim=100, min_count=5, seed=args.seed), progress=False)
        print(f"word2vec: {len(kv)} words x {kv.vector_size} dims in {time.perf_counter() - t:.1f} s")
    docs = documents(text, stopword_set(args.stopwords))
    rng = random.Random(args.seed)
    print(f"documents: {len(docs)} lines of 8-25 words, stop words: {args.stopwords}, "
          f"{np.mean([len(d) for d in docs]):.1f} words on average; os.cpu_count()={os.cpu_count()}")

    pairs = [rng.sample(docs, 2) for _ in range(args.pairs)]
    movers = {"pot": WordMover(kv), "pyemd": WordMover(kv, solver="pyemd")}
    # seqkit first: it imports POT without the TensorFlow backend that gensim's import would also load
    movers["pot"].distance(*pairs[0])
    reference = [kv.wmdistance(a, b) for a, b in pairs]  # also warms gensim up before timing
    gensim_s = best_time(lambda: [kv.wmdistance(a, b) for a, b in pairs])
    rates = {"gensim": len(pairs) / gensim_s}
    diffs = {}
    for name, mover in movers.items():
        rates[name] = len(pairs) / best_time(lambda m=mover: [m.distance(a, b) for a, b in pairs])
        diffs[name] = max_difference([mover.distance(a, b) for a, b in pairs], reference)
    print(f"pairwise ({len(pairs)} random pairs, {np.isinf(reference).sum()} at inf): "
          f"gensim {rates['gensim']:,.0f} pairs/s; "
          + "; ".join(f"seqkit[{n}] {rates[n]:,.0f} pairs/s ({rates[n] / rates['gensim']:.1f}x), "
                      f"max |diff| {diffs[n]:.1e}" for n in movers))
    solvers = solver_times(movers["pot"], pairs)
    print("EMD solver alone, us per sentence pair: " + ", ".join(f"{k} {v:.1f}" for k, v in solvers.items()))

    sample = rng.sample(range(len(docs)), args.docs + args.queries)
    corpus_docs = [docs[i] for i in sample[:args.docs]]
    queries = [docs[i] for i in sample[args.docs:]]
    t = time.perf_counter()
    index = movers["pot"].index_documents(corpus_docs)
    build_s = time.perf_counter() - t
    found = {}
    knn_s = best_time(lambda: found.update({i: index.knn(q, args.k) for i, q in enumerate(queries)}), 1)
    exact = np.mean([(index.bounds(movers["pot"].bag(q)) <= found[i][-1][1] + BOUND_SLACK).sum()
                     for i, q in enumerate(queries)])
    seqkit_ms = knn_s / len(queries) * 1e3
    matches, gensim_total = [], 0.0
    for i, q in enumerate(queries[:args.gensim_queries]):
        t = time.perf_counter()
        dists = np.array([kv.wmdistance(q, d) for d in corpus_docs])
        order = np.argsort(dists, kind="stable")[:args.k]
        gensim_total += time.perf_counter() - t
        ours = found[i]
        matches.append([j for j, _ in ours] == order.tolist()
                       and np.allclose([d for _, d in ours], dists[order], rtol=0, atol=1e-9))
    gensim_ms = gensim_total / len(matches) * 1e3
    print(f"knn (k={args.k}, {len(corpus_docs)} docs): index built in {build_s:.2f} s; seqkit "
          f"{seqkit_ms:.1f} ms/query over {len(queries)} queries (~{exact:.0f} exact EMDs each); "
          f"gensim brute force {gensim_ms:,.0f} ms/query over {len(matches)} queries; "
          f"neighbours match: {all(matches)}")
    print(f"RESULT pairwise {rates['pot']:,.0f} pairs/s vs gensim {rates['gensim']:,.0f} "
          f"({rates['pot'] / rates['gensim']:.1f}x, max|diff| {diffs['pot']:.1e}); "
          f"knn {seqkit_ms:.1f} ms/query vs gensim {gensim_ms:,.0f} ms ({gensim_ms / seqkit_ms:.0f}x); "
          f"identical neighbours: {all(matches)}")
    from seqkit.metrics.flops import matmul_reference  # last: TensorFlow must not share the timed runs

    matmul_reference()


if __name__ == "__main__":
    main()

"""Word Mover's Distance (Kusner et al. 2015) with gensim's semantics, its lower bounds, and exact kNN.

WMD is the Earth Mover's Distance between two bags of words: each in-vocabulary word weighs its count over
the document's in-vocabulary word count, words sit at their vectors, and moving weight costs the Euclidean
distance between vectors. By default every number equals gensim's `KeyedVectors.wmdistance`: vectors are
unit-normalized, out-of-vocabulary words are dropped, a side with no known word gives inf (with a
warning), one shared word gives 0, and an all-zero cost matrix gives inf.

Speed comes from doing gensim's arithmetic with less around it: the same scipy `cdist` cost matrix, but
only doc1 x doc2 rather than the union vocabulary squared, and POT's C network simplex (the solver behind
`ot.emd2`) called directly, without emd2's per-call checks and backend dispatch.
"""

from __future__ import annotations

import heapq
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from seqkit.data.text import read_text
from seqkit.data.tokenize import tokenize
from seqkit.data.tokenize import tokenizer as tokenizer_for
from seqkit.errors import ConfigError

Document = str | Sequence[str]  # a str is tokenized; a sequence of tokens is used as given, like gensim
SOLVERS = ("pot", "pyemd")
# The bounds come from a matrix product whose rounding (~1e-8) must never prune a true neighbour.
BOUND_SLACK = 1e-6


class OutOfVocabularyWarning(UserWarning):
    """A document has no word in the vocabulary, so its distances are inf."""


class Bag(NamedTuple):
    """A document as WMD sees it: vocabulary rows (sorted, unique), their weights, their vectors."""

    ids: np.ndarray
    weights: np.ndarray
    vectors: np.ndarray


@cache
def _network_simplex() -> tuple[Callable, Callable]:
    """POT's C solver and its result check, imported on first use."""
    # POT imports every array backend it can find unless told not to: TensorFlow alone costs seconds per
    # process, and WMD needs numpy only. setdefault keeps a user's explicit choice.
    for backend in ("TENSORFLOW", "PYTORCH", "JAX", "CUPY"):
        os.environ.setdefault(f"POT_BACKEND_DISABLE_{backend}", "1")
    from ot.lp.emd_wrap import check_result, emd_c

    return emd_c, check_result


@cache
def _cdist() -> Callable:
    """scipy's cdist, the function gensim builds its cost matrix with (imported on first use)."""
    from scipy.spatial.distance import cdist

    return cdist


@cache
def _blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded (built once: it scans the process)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@cache
def _file_stopwords(path: Path) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in read_text(path).splitlines() if w.strip())


def stopword_set(spec: str | Path | Iterable[str] | None) -> frozenset[str]:
    """Stop words: None or "none", "gensim" (its STOPWORDS), a file (one a line), or the words themselves."""
    if spec is None or spec == "none":
        return frozenset()
    if spec == "gensim":
        from gensim.parsing.preprocessing import STOPWORDS

        return frozenset(STOPWORDS)
    if isinstance(spec, str | Path):
        if not Path(spec).exists():
            raise ConfigError(f"stop words {str(spec)!r}: no such file; give none, gensim, or a file with "
                              "one word a line")
        return _file_stopwords(Path(spec))  # read_text names a folder, an empty or a non-UTF-8 file
    return frozenset(w.lower() for w in spec)


def _solve_pot(w1: np.ndarray, w2: np.ndarray, cost: np.ndarray) -> float:
    emd_c, check_result = _network_simplex()
    # ot.emd2 rescales b to a's mass before solving; doing the same keeps the numbers identical.
    w2 = w2 * w1.sum() / w2.sum()
    _, value, _, _, code = emd_c(w1, w2, cost, 100_000, 1, None, None)
    check_result(code)  # warns, as emd2 does, if the iteration limit stopped the solver
    return float(value)


def _solve_pyemd(b1: Bag, b2: Bag) -> float:
    try:
        from pyemd import emd
    except ImportError:
        raise ConfigError("solver pyemd needs the pyemd package: pip install 'seqkit[pyemd]'") from None
    # pyemd wants both histograms over one set of bins with a square cost matrix: the union vocabulary.
    union, where = np.unique(np.concatenate([b1.ids, b2.ids]), return_index=True)
    vectors = np.concatenate([b1.vectors, b2.vectors])[where]
    h1, h2 = np.zeros(len(union)), np.zeros(len(union))
    h1[np.searchsorted(union, b1.ids)] = b1.weights
    h2[np.searchsorted(union, b2.ids)] = b2.weights
    return float(emd(h1, h2, _cdist()(vectors, vectors)))


def bag_wcd(b1: Bag, b2: Bag) -> float:
    """WCD of two non-empty bags."""
    return float(np.linalg.norm(b1.weights @ b1.vectors - b2.weights @ b2.vectors))


def bag_rwmd(b1: Bag, b2: Bag) -> float:
    """RWMD of two non-empty bags: usually above WCD, but not always (same words, other frequencies)."""
    cost = _cdist()(b1.vectors, b2.vectors)
    return float(max(b1.weights @ cost.min(axis=1), b2.weights @ cost.min(axis=0)))


class WordMover:
    """Vectors, tokenizer and stop words prepared once, so each distance costs little more than its EMD."""

    def __init__(self, vectors, *, norm: bool = True, tokenizer: str = "word", lowercase: bool = True,
                 stopwords: str | Path | Iterable[str] | None = None, solver: str = "pot"):
        if solver not in SOLVERS:
            raise ConfigError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
        tokenizer_for(tokenizer)  # an unknown scheme fails here, not at the first document
        self.kv, self.norm, self.solver = vectors, norm, solver
        self.scheme, self.lowercase = tokenizer, lowercase
        self.index = vectors.key_to_index
        self.stopwords = stopword_set(stopwords)
        if norm:
            vectors.fill_norms()  # once; gensim caches them on the KeyedVectors

    def tokens(self, doc: Document) -> list[str]:
        """The tokens WMD sees: a str tokenized (and lowercased), then stop words dropped."""
        tokens = tokenize(doc, self.scheme, self.lowercase) if isinstance(doc, str) else list(doc)
        if self.stopwords:
            tokens = [t for t in tokens if t.lower() not in self.stopwords]
        return tokens

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the vectors, unit-normalized in float32 exactly as gensim's get_vector(norm=True)."""
        rows = self.kv.vectors[ids]
        return rows / self.kv.norms[ids, None] if self.norm else rows

    def bag(self, doc: Document) -> Bag:
        """The normalized bag of in-vocabulary words of `doc` (empty when none is known)."""
        ids = [self.index[t] for t in self.tokens(doc) if t in self.index]
        # Sorted, so that a reordered document gives bit-identical distances (ties stay ties); a Counter
        # is 3x faster than np.unique on sentence-sized lists.
        counts = Counter(sorted(ids))
        unique = np.fromiter(counts.keys(), np.int64, len(counts))
        weights = np.fromiter(counts.values(), np.float64, len(counts)) / max(len(ids), 1)
        return Bag(unique, weights, self.vectors_of(unique))

    def bag_distance(self, b1: Bag, b2: Bag) -> float:
        """WMD between two bags, with gensim's special cases and no warning."""
        if not len(b1.ids) or not len(b2.ids):
            return math.inf
        if len(b1.ids) == len(b2.ids) == 1 and b1.ids[0] == b2.ids[0]:
            return 0.0  # one word on both sides
        cost = _cdist()(b1.vectors, b2.vectors)
        if abs(cost.sum()) < 1e-8:
            return math.inf  # gensim's guard: the solver stalls on an all-zero cost matrix
        return _solve_pot(b1.weights, b2.weights, cost) if self.solver == "pot" else _solve_pyemd(b1, b2)

    def _measure(self, doc1: Document, doc2: Document, measure: Callable[[Bag, Bag], float]) -> float:
        """measure(bag1, bag2), or inf with a warning when a side has no in-vocabulary word."""
        b1, b2 = self.bag(doc1), self.bag(doc2)
        for side, b in ((1, b1), (2, b2)):
            if not len(b.ids):
                warnings.warn(f"document {side} has no in-vocabulary word (after tokenizing and stop words); "
                              "its distances are inf", OutOfVocabularyWarning, stacklevel=3)
        return measure(b1, b2) if len(b1.ids) and len(b2.ids) else math.inf

    def distance(self, doc1: Document, doc2: Document) -> float:
        """WMD between two documents (gensim's wmdistance by default)."""
        return self._measure(doc1, doc2, self.bag_distance)

    def wcd(self, doc1: Document, doc2: Document) -> float:
        """Word centroid distance, the cheap lower bound: how far apart the weighted mean vectors are."""
        return self._measure(doc1, doc2, bag_wcd)

    def rwmd(self, doc1: Document, doc2: Document) -> float:
        """Relaxed WMD, a lower bound: each side's words move whole to their nearest word on the other."""
        return self._measure(doc1, doc2, bag_rwmd)

    def index_documents(self, docs: Iterable[Document]) -> WMDIndex:
        """An index for exact k-nearest-neighbour search over `docs`."""
        return WMDIndex(self, docs)


class WMDIndex:
    """Exact WMD kNN by prefetch and prune: bounds for every document at once, EMD only where one can win.

    For a query, the bound max(WCD, RWMD) of all documents comes from a few array operations over a flat
    table of the documents' words; documents are then solved exactly in order of their bound, stopping as
    soon as the next bound exceeds the current k-th best distance. The result is brute force's: the k
    smallest (distance, document number) pairs.
    """

    def __init__(self, mover: WordMover, docs: Iterable[Document]):
        self.mover = mover
        self.bags = [mover.bag(d) for d in docs]
        self.known = np.array([i for i, b in enumerate(self.bags) if len(b.ids)], dtype=np.int64)
        live = [self.bags[i] for i in self.known]
        ids = np.concatenate([b.ids for b in live]) if live else np.zeros(0, np.int64)
        self.weights = np.concatenate([b.weights for b in live]) if live else np.zeros(0)
        vocab, self.word = np.unique(ids, return_inverse=True)  # each flat entry's row in `vocab`
        self.starts = np.cumsum([0] + [len(b.ids) for b in live[:-1]]).astype(np.int64)
        self.vocab_vectors = mover.vectors_of(vocab).astype(np.float64)
        self.vocab_sq = (self.vocab_vectors ** 2).sum(axis=1)
        weighted = self.weights[:, None] * self.vocab_vectors[self.word]
        self.centroids = np.add.reduceat(weighted, self.starts) if live else np.zeros((0, 1))

    def __len__(self) -> int:
        return len(self.bags)

    def bounds(self, query: Bag) -> np.ndarray:
        """max(WCD, RWMD) from the query to every document (inf for documents with no known word)."""
        out = np.full(len(self.bags), math.inf)
        if not len(self.known) or not len(query.ids):
            return out
        q = query.vectors.astype(np.float64)
        wcd = np.linalg.norm(self.centroids - query.weights @ q, axis=1)
        sq = (q ** 2).sum(axis=1)[:, None] + self.vocab_sq[None, :] - 2 * q @ self.vocab_vectors.T
        dist = np.sqrt(np.maximum(sq, 0.0))  # query words x document vocabulary
        nearest_in_doc = np.minimum.reduceat(dist[:, self.word], self.starts, axis=1)
        to_docs = query.weights @ nearest_in_doc
        from_docs = np.add.reduceat(self.weights * dist.min(axis=0)[self.word], self.starts)
        out[self.known] = np.maximum(wcd, np.maximum(to_docs, from_docs))
        return out

    def knn(self, query: Document, k: int) -> list[tuple[int, float]]:
        """The k nearest documents as (document number, WMD), nearest first, ties by number."""
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        q = self.mover.bag(query)
        if not len(q.ids):
            warnings.warn("the query has no in-vocabulary word (after tokenizing and stop words); "
                          "every distance is inf", OutOfVocabularyWarning, stacklevel=2)
            return [(i, math.inf) for i in range(min(k, len(self.bags)))]  # brute force's order for ties
        # These products are small: threads only wait on each other, and on a busy machine BLAS threads
        # that spin for a descheduled sibling made a query 3-4x slower.
        with _blas_controller().limit(limits=1, user_api="blas"):
            bound = self.bounds(q)
        best: list[tuple[float, int]] = []  # (-distance, -number): the root is the current k-th best
        for i in np.argsort(bound, kind="stable").tolist():
            if len(best) == k and bound[i] - BOUND_SLACK > -best[0][0]:
                break
            item = (-self.mover.bag_distance(q, self.bags[i]), -i)
            if len(best) < k:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        return [(-neg_i, -neg_d) for neg_d, neg_i in sorted(best, reverse=True)]


def wmd(doc1: Document, doc2: Document, vectors, **options) -> float:
    """Word Mover's Distance between two documents; options as for WordMover (defaults: gensim's)."""
    return WordMover(vectors, **options).distance(doc1, doc2)


def wcd(doc1: Document, doc2: Document, vectors, **options) -> float:
    """Word centroid distance, a lower bound of WMD."""
    return WordMover(vectors, **options).wcd(doc1, doc2)


def rwmd(doc1: Document, doc2: Document, vectors, **options) -> float:
    """Relaxed WMD, a lower bound of WMD."""
    return WordMover(vectors, **options).rwmd(doc1, doc2)

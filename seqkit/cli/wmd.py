"""`seqkit wmd`: Word Mover's Distance between two sentences, over TSV pairs, and exact kNN search.

`seqkit wmd --vectors V "one" "two"` is `seqkit wmd distance --vectors V "one" "two"` (the default kind);
`seqkit wmd knn --vectors V --k K QUERIES DOCS` searches.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from seqkit.cli.common import kinds_parser, verb_parser
from seqkit.data.tokenize import SCHEMES
from seqkit.embeddings.vectors import FORMATS
from seqkit.errors import ConfigError, DataError, Interrupted
from seqkit.metrics.wmd import SOLVERS

DEFAULT_KIND = "distance"
MAX_DIGITS = 17  # a float64 holds 17 significant digits; more decimals print noise
BAD_LINES = "Exit status 2 if an input line could not be used; the other lines are still computed."


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `wmd` verb and its kinds."""
    kinds = kinds_parser(sub, "wmd", "Word Mover's Distance between sentences, and kNN search",
                         "Word Mover's Distance between sentences (gensim's wmdistance by default). "
                         "`seqkit wmd --vectors V S1 S2` is `seqkit wmd distance --vectors V S1 S2`.")
    d = verb_parser(kinds, "distance", "WMD of two sentences, or of each line of a TSV file",
                    "Print the WMD between two sentences, or one distance a line for --pairs (nan for a line "
                    "that is not UTF-8 or not two tab-separated columns). A sentence with no word in the "
                    "vocabulary gives inf, with a warning on stderr. " + BAD_LINES,
                    run_dir=False)
    add_wmd_options(d)
    d.add_argument("sentences", nargs="*", metavar="SENTENCE", help="the two sentences")
    d.add_argument("--pairs", metavar="FILE",
                   help="TSV file, one sentence pair a line: print one distance a line, nan for a bad line")
    d.set_defaults(func=run_distance, tensorflow=False)
    k = verb_parser(kinds, "knn", "exact k nearest documents by WMD (prefetch and prune)",
                    "For each line of QUERIES, print its K nearest lines of DOCS by WMD as "
                    "`LINE:DISTANCE` (0-based line numbers), nearest first, ties by line number; "
                    "documents at distance inf are left out, so a query with no word in the vocabulary "
                    "prints an empty line (with a warning). A DOCS line that is not UTF-8 counts as an "
                    "empty document; a QUERIES line that is not UTF-8 prints an empty line. " + BAD_LINES,
                    run_dir=False)
    add_wmd_options(k)
    k.add_argument("queries", metavar="QUERIES", help="UTF-8 file, one query sentence a line")
    k.add_argument("docs", metavar="DOCS", help="UTF-8 file, one document a line")
    k.add_argument("--k", type=int, default=10, help="neighbours per query")
    k.set_defaults(func=run_knn, tensorflow=False)


def add_wmd_options(p: argparse.ArgumentParser) -> None:
    """The vectors, tokenization and solver options both kinds share."""
    p.add_argument("--vectors", required=True, metavar="PATH", help="word vectors file")
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="vectors format: gensim KeyedVectors, word2vec binary/text, GloVe text (no header)")
    p.add_argument("--tokenizer", choices=SCHEMES, default="word",
                   help="word: letters, digits and apostrophes; treebank, tweet: nltk's; whitespace: split")
    p.add_argument("--keep-case", action="store_true", help="do not lowercase sentences before lookup")
    p.add_argument("--stopwords", default="none", metavar="none|gensim|FILE",
                   help="drop stop words: none, gensim's STOPWORDS list, or a file with one word a line")
    p.add_argument("--no-norm", action="store_true", help="use raw vectors instead of unit-normalized ones")
    p.add_argument("--solver", choices=SOLVERS, default="pot",
                   help="EMD solver: POT's network simplex (exact, as gensim) or pyemd (needs seqkit[pyemd])")
    p.add_argument("--digits", type=int, default=6, help="decimals printed")


def word_mover(args: argparse.Namespace):
    """The WordMover the flags describe, with its vectors loaded."""
    from seqkit.embeddings.vectors import load_vectors
    from seqkit.metrics.wmd import WordMover

    if not 0 <= args.digits <= MAX_DIGITS:
        raise ConfigError(f"--digits must be in [0, {MAX_DIGITS}] (a float64's digits), got {args.digits}")
    return WordMover(load_vectors(args.vectors, args.format), norm=not args.no_norm, tokenizer=args.tokenizer,
                     lowercase=not args.keep_case, stopwords=args.stopwords, solver=args.solver)


def say(message: str) -> None:
    print(f"seqkit wmd: {message}", file=sys.stderr)


@contextmanager
def warnings_by_line() -> Iterator[list[warnings.WarningMessage]]:
    """Collect warnings so that each is reported with the input line it came from."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def report(caught: list[warnings.WarningMessage], where: str) -> None:
    for w in caught:
        say(f"warning: {where}{w.message}")
    caught.clear()


def input_lines(args: argparse.Namespace) -> list[str | DataError | list[str]]:
    """The two sentences (as one pair), or the lines of --pairs; read before the slow vectors."""
    from seqkit.data.text import read_lines

    if (len(args.sentences), args.pairs is None) not in ((2, True), (0, False)):
        raise ConfigError("give two sentences, or --pairs FILE (one tab-separated pair a line), not both")
    return [list(args.sentences)] if args.pairs is None else read_lines(args.pairs)


def numbered_pairs(args: argparse.Namespace,
                   lines: list[str | DataError | list[str]]) -> Iterator[tuple[str, list[str] | DataError]]:
    """(where, columns) per line, made one at a time so that memory stays that of the lines."""
    for number, line in enumerate(lines, 1):
        where = f"{args.pairs} line {number}: " if args.pairs else ""
        yield where, line.split("\t") if isinstance(line, str) else line


def run_distance(args: argparse.Namespace) -> int:
    lines = input_lines(args)
    mover = word_mover(args)
    bad = printed = 0
    with warnings_by_line() as caught:
        try:
            for where, columns in numbered_pairs(args, lines):
                if isinstance(columns, DataError) or len(columns) != 2:
                    bad += 1
                    say(f"{columns}; printed nan" if isinstance(columns, DataError) else
                        f"{where}expected 2 tab-separated sentences, found {len(columns)}; printed nan")
                    print("nan")
                else:
                    print(f"{mover.distance(*columns):.{args.digits}f}")
                    report(caught, where)
                printed += 1
        except KeyboardInterrupt:  # the lines printed are whole: say how many
            raise Interrupted(f"printed the distances of the first {printed} of {len(lines)} pairs") from None
    return 2 if bad else 0


def run_knn(args: argparse.Namespace) -> int:
    from seqkit.data.text import read_lines

    if args.k < 1:
        raise ConfigError(f"--k must be at least 1, got {args.k}")
    queries, docs = read_lines(args.queries), read_lines(args.docs)
    bad = [line for line in docs if isinstance(line, DataError)]
    for e in bad:
        say(f"{e}; the line is kept as an empty document")
    index = word_mover(args).index_documents(["" if isinstance(d, DataError) else d for d in docs])
    unknown = len(index) - len(index.known)
    if unknown:
        say(f"warning: {args.docs}: {unknown} of {len(index)} documents have no word in the vocabulary; "
            "they are never neighbours")
    with warnings_by_line() as caught:
        for number, query in enumerate(queries, 1):
            if isinstance(query, DataError):
                bad.append(query)
                say(f"{query}; printed an empty line")
                print()
                continue
            found = index.knn(query, args.k)
            print(" ".join(f"{i}:{d:.{args.digits}f}" for i, d in found if not math.isinf(d)))
            report(caught, f"{args.queries} line {number}: ")
    return 2 if bad else 0

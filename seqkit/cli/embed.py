"""`seqkit embed train`: word2vec vectors from a text file, in any format `seqkit wmd --vectors` reads."""

from __future__ import annotations

import argparse

from seqkit.cli.common import creatable_output, verb_parser
from seqkit.data.tokenize import SCHEMES
from seqkit.embeddings.vectors import FORMATS
from seqkit.embeddings.word2vec import Word2VecOptions

DEFAULTS = Word2VecOptions()


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `embed` verb and its `train` action."""
    p = sub.add_parser("embed", help="train word vectors", description="Train word vectors.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = verb_parser(actions, "train", "train word2vec with gensim on a text file",
                    "Train word2vec (gensim) on a text file, one sentence a line, and write the vectors. "
                    "The progress bar counts bytes of the corpus over all epochs.",
                    run_dir=False)
    t.add_argument("--corpus", metavar="FILE", help="UTF-8 text, one sentence a line (default: the embedded "
                   "Shakespeare)")
    t.add_argument("--out", required=True, metavar="PATH", help="where to write the vectors")
    t.add_argument("--format", choices=FORMATS[1:], default="word2vec-bin",
                   help="output format: gensim KeyedVectors, word2vec binary or text, GloVe text (no header)")
    t.add_argument("--dim", type=int, default=DEFAULTS.dim, help="vector dimensions")
    t.add_argument("--window", type=int, default=DEFAULTS.window, help="context words on each side")
    t.add_argument("--min-count", type=int, default=DEFAULTS.min_count, help="ignore rarer words")
    t.add_argument("--epochs", type=int, default=DEFAULTS.epochs, help="passes over the corpus")
    t.add_argument("--workers", type=int, default=DEFAULTS.workers,
                   help="training threads; more is faster, but only 1 repeats a run from its seed")
    t.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed")
    t.add_argument("--skipgram", action="store_true", help="skip-gram instead of CBOW")
    t.add_argument("--tokenizer", choices=SCHEMES, default=DEFAULTS.tokenizer, help="how lines become words")
    t.add_argument("--keep-case", action="store_true", help="do not lowercase the text")
    t.set_defaults(func=run_train, tensorflow=False)


def run_train(args: argparse.Namespace) -> int:
    from seqkit.embeddings.vectors import save_vectors
    from seqkit.embeddings.word2vec import train_word2vec

    options = Word2VecOptions(dim=args.dim, window=args.window, min_count=args.min_count, epochs=args.epochs,
                              workers=args.workers, seed=args.seed, skipgram=args.skipgram,
                              tokenizer=args.tokenizer, lowercase=not args.keep_case)
    creatable_output(args.out)  # before the training, whose vectors would be lost
    kv = train_word2vec(args.corpus, options)
    path = save_vectors(kv, args.out, args.format)
    print(f"{path}: {len(kv)} words x {kv.vector_size} dims ({args.format})")
    return 0

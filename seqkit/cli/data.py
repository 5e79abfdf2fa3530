"""`seqkit data fetch CORPUS`: download (or take --from), verify, clean and split a corpus."""

from __future__ import annotations

import argparse
import importlib

from seqkit.errors import ConfigError

RECIPES = ("text8", "shakespeare", "imdb", "iwslt15", "parallel")  # modules of seqkit.data_prep: prepare()


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `data` verb and its `fetch` action."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = sub.add_parser("data", help="fetch and prepare standard corpora", formatter_class=fmt,
                       description="Fetch and prepare standard corpora as plain text files.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    f = actions.add_parser("fetch", help="download a corpus, verify its sha256, split it",
                           formatter_class=fmt,
                           description="Download a corpus, verify its sha256, clean it and write its splits.")
    f.add_argument("corpus", choices=RECIPES, help="which corpus to prepare")
    f.add_argument("--from", dest="from_file", metavar="FILE", default=argparse.SUPPRESS,
                   help="use this local file instead of downloading: the archive, or its plain text")
    f.add_argument("--cache", metavar="DIR", default=argparse.SUPPRESS,
                   help="where downloads are kept (default: $SEQKIT_CACHE, else ~/.cache/seqkit)")
    f.add_argument("--src", metavar="FILE", default=argparse.SUPPRESS,
                   help="parallel: the source-language file, one sentence a line")
    f.add_argument("--tgt", metavar="FILE", default=argparse.SUPPRESS,
                   help="parallel: the target-language file, line-aligned with --src")
    f.add_argument("--out", metavar="DIR", default="data/{corpus}",
                   help="output directory; {corpus} stands for the corpus name")
    f.set_defaults(func=run, tensorflow=False)


def run(args: argparse.Namespace) -> int:
    """Prepare the corpus and print the written files, one per line."""
    recipe = importlib.import_module(f"seqkit.data_prep.{args.corpus}")
    out = args.out.replace("{corpus}", args.corpus)
    pair = {k: getattr(args, k) for k in ("src", "tgt") if hasattr(args, k)}
    if pair and args.corpus != "parallel":
        raise ConfigError("--src and --tgt belong to the parallel recipe: `seqkit data fetch parallel`")
    paths = recipe.prepare(out, getattr(args, "from_file", None), getattr(args, "cache", None), **pair)
    for path in paths.values():
        print(path)
    return 0

"""`seqkit vocab build`: a word vocabulary or a sentencepiece model, for `seqkit train nmt --src-vocab`."""

from __future__ import annotations

import argparse
from pathlib import Path

from seqkit.cli.common import creatable_output
from seqkit.data.subword import SUFFIX, TYPES
from seqkit.data.vocab import SPECIALS
from seqkit.errors import ConfigError, DataError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `vocab` verb and its `build` action."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = sub.add_parser("vocab", help="build vocabularies", formatter_class=fmt,
                       description="Build word vocabularies and sentencepiece models.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = actions.add_parser("build", help="build a vocabulary from text files", formatter_class=fmt,
                           description="Build a vocabulary from one or more text files, one sentence a line. "
                           "Several --input files give one joint vocabulary. word: whitespace-separated "
                           "words, most frequent first (<pad> <unk> <s> </s> first), written one a line; "
                           "bpe, unigram: a sentencepiece model (.model). Pass the file to `seqkit train "
                           "nmt --src-vocab/--tgt-vocab`.")
    b.add_argument("--input", action="append", required=True, metavar="FILE",
                   help="UTF-8 text, one sentence a line; repeat for a joint vocabulary")
    b.add_argument("--type", choices=TYPES, default="unigram", help="vocabulary kind")
    b.add_argument("--size", type=int, default=8000,
                   help="entries, specials included. bpe, unigram: exactly this many (an error if the text "
                   "has fewer pieces); word: at most this many, fewer if the text has fewer (0: no cap)")
    b.add_argument("--min-count", type=int, default=1, help="word: leave out rarer words")
    b.add_argument("--seed", type=int, default=0, help="sentencepiece's sampling seed")
    b.add_argument("--out", required=True, metavar="PATH",
                   help="file to write; .model is added for bpe/unigram, .vocab for word, if missing")
    b.set_defaults(func=run_build, tensorflow=False)


def check_numbers(args: argparse.Namespace) -> None:
    """--size and --min-count out of range, refused before any text is read."""
    if args.size < 0:
        raise ConfigError(f"--size must be positive (or 0: a word vocabulary without a cap), got {args.size}")
    if args.type == "word" and 0 < args.size <= len(SPECIALS):
        raise ConfigError(f"--size {args.size} leaves no room for words beside the {len(SPECIALS)} specials "
                          f"({' '.join(SPECIALS)}): give at least {len(SPECIALS) + 1}, or 0 for no cap")
    if args.min_count < 1:
        raise ConfigError(f"--min-count must be at least 1, got {args.min_count}")


def run_build(args: argparse.Namespace) -> int:
    from seqkit.data.subword import build_codec, short_of
    from seqkit.data.text import read_text, split_lines

    check_numbers(args)
    out = Path(args.out)
    if out.suffix != SUFFIX[args.type]:
        out = out.with_name(out.name + SUFFIX[args.type])
    creatable_output(out)
    texts = [line for path in args.input for line in split_lines(read_text(path))]
    codec = build_codec(texts, args.type, args.size, args.min_count, args.seed)
    inputs = ", ".join(args.input)
    if short_of(codec, args.size):  # sentencepiece gave all the pieces the text has, fewer than asked
        raise DataError(f"{inputs}: the text gives at most {len(codec)} {args.type} pieces, not --size "
                        f"{args.size}; give --size {len(codec)} or less, or more text")
    if len(codec) == len(SPECIALS):
        raise DataError(f"{inputs}: no word occurs --min-count {args.min_count} times; lower --min-count")
    print(f"{codec.save(out)}: {len(codec)} {'words' if args.type == 'word' else args.type + ' pieces'}")
    return 0

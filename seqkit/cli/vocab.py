"""`seqkit vocab build`: a word vocabulary or a sentencepiece model, for `seqkit train nmt --src-vocab`."""

from __future__ import annotations

import argparse
from pathlib import Path

from seqkit.data.subword import SUFFIX, TYPES


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
                   help="entries, specials included (word: 0 keeps every word)")
    b.add_argument("--min-count", type=int, default=1, help="word: leave out rarer words")
    b.add_argument("--seed", type=int, default=0, help="sentencepiece's sampling seed")
    b.add_argument("--out", required=True, metavar="PATH",
                   help="file to write; .model is added for bpe/unigram, .vocab for word, if missing")
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from seqkit.data.subword import build_codec
    from seqkit.data.text import read_text, split_lines

    texts = [line for path in args.input for line in split_lines(read_text(path))]
    codec = build_codec(texts, args.type, args.size, args.min_count, args.seed)
    out = Path(args.out)
    if out.suffix != SUFFIX[args.type]:
        out = out.with_name(out.name + SUFFIX[args.type])
    print(f"{codec.save(out)}: {len(codec)} {'words' if args.type == 'word' else args.type + ' pieces'}")
    return 0

"""`seqkit evaluate`: score models and outputs.

`seqkit evaluate DIR --data FILE` scores a text under a character model (the default kind, `lm`);
other kinds are named first: `seqkit evaluate KIND ...` (each kind registers a sub-parser here).
"""

from __future__ import annotations

import argparse

from seqkit.cli.common import verb_parser

DEFAULT_KIND = "lm"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluate` verb and its kinds."""
    p = sub.add_parser("evaluate", help="score a model or its outputs",
                       description="Score a model or its outputs. `seqkit evaluate DIR --data FILE` is "
                       "`seqkit evaluate lm DIR --data FILE`.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    lm = verb_parser(kinds, "lm", "nats and bits per character of a text under a character model",
                     "Print the nats/char and bits/char of a text under a character model, state carried "
                     "through the whole text.")
    lm.add_argument("--data", required=True, metavar="FILE", help="UTF-8 text to score")
    lm.add_argument("--batch-size", type=int, default=64, help="parallel streams over the text")
    lm.add_argument("--seq-len", type=int, default=256, help="characters per compiled window")
    lm.set_defaults(func=run_lm)


def with_default_kind(argv: list[str], kinds: set[str]) -> list[str]:
    """Insert the default kind after `evaluate` when the next word is not a kind or an option."""
    if len(argv) >= 2 and argv[0] == "evaluate" and argv[1] not in kinds and not argv[1].startswith("-"):
        return [argv[0], DEFAULT_KIND, *argv[1:]]
    return argv


def run_lm(args: argparse.Namespace) -> int:
    from seqkit.api import evaluate

    m = evaluate(args.run, args.data, batch_size=args.batch_size, seq_len=args.seq_len,
                 checkpoint=args.checkpoint)
    print(f"nats/char {m['loss']:.4f}  bits/char {m['bpc']:.4f}  chars {m['chars']}")
    return 0

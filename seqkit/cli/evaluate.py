"""`seqkit evaluate DIR --data FILE`: nats and bits per character of a text under a trained model."""

from __future__ import annotations

import argparse

from seqkit.cli.common import verb_parser


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluate` verb."""
    p = verb_parser(sub, "evaluate", "score a text with a trained model",
                    "Print the nats/char and bits/char of a text under a character model, state carried "
                    "through the whole text.")
    p.add_argument("--data", required=True, metavar="FILE", help="UTF-8 text to score")
    p.add_argument("--batch-size", type=int, default=64, help="parallel streams over the text")
    p.add_argument("--seq-len", type=int, default=256, help="characters per compiled window")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.api import evaluate

    m = evaluate(args.run, args.data, batch_size=args.batch_size, seq_len=args.seq_len,
                 checkpoint=args.checkpoint)
    print(f"nats/char {m['loss']:.4f}  bits/char {m['bpc']:.4f}  chars {m['chars']}")
    return 0

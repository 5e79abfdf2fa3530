"""`seqkit average DIR`: average the weights of a run's last checkpoints (`--checkpoint average`)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `average` verb."""
    p = sub.add_parser("average", help="average the last checkpoints of an NMT run",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Average the model weights of an NMT run's last checkpoints into "
                       "DIR/checkpoints/average.h5; `seqkit translate DIR --checkpoint average` uses it.")
    p.add_argument("run", metavar="DIR", help="run directory written by `seqkit train nmt`")
    p.add_argument("--last", type=int, default=0, help="how many of the newest checkpoints (0: all kept)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.errors import ConfigError
    from seqkit.inference.averaging import average_checkpoints

    if args.last < 0:
        raise ConfigError(f"--last cannot be negative, not {args.last}")
    path, steps = average_checkpoints(args.run, args.last)
    print(f"{path}: average of steps {', '.join(map(str, steps))}")
    return 0

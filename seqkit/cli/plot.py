"""`seqkit plot DIR [DIR ...] --out curves.png`: training and validation curves of runs on one figure."""

from __future__ import annotations

import argparse

from seqkit.cli.common import writable_output


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `plot` verb."""
    from seqkit.metrics.curves import PANELS, X_AXES

    p = sub.add_parser("plot", help="training and validation curves of runs (PNG)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Draw the curves of each run's metrics.jsonl into one PNG: a panel per "
                       f"metric (by default those of {', '.join(PANELS)} the runs log), a colour per run, "
                       "dashed for training and solid with dots for validation, against the step or the "
                       "wall-clock time since the run's first record.")
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directory written by `seqkit train`")
    p.add_argument("--out", required=True, metavar="PNG", help="write the figure here")
    p.add_argument("--x", default="step", choices=X_AXES, help="what the horizontal axis shows")
    p.add_argument("--metric", action="append", metavar="NAME",
                   help="draw this metric (repeat for several; any number metrics.jsonl holds, e.g. lr)")
    p.set_defaults(func=run, tensorflow=False)


def run(args: argparse.Namespace) -> int:
    from seqkit.metrics.curves import plot_curves  # not seqkit.api: plotting needs no TensorFlow

    out = writable_output(args.out)
    series = plot_curves(args.runs, out, x=args.x, metrics=args.metric)
    print(f"wrote {out}: {len({s.metric for s in series})} panel(s), {len(args.runs)} run(s)")
    return 0

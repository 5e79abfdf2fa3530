"""`seqkit translate DIR [DIR2 ...]`: translate stdin or --input, one output line per input line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seqkit.cli.common import read_input_text
from seqkit.data.text import split_lines
from seqkit.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `translate` verb."""
    p = sub.add_parser("translate", help="translate text with a trained NMT model (or an ensemble)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Translate standard input or --input, one sentence a line, with the model "
                       "of a run directory; several directories translate as an ensemble (mean of their "
                       "log-probabilities). Each input line gives one output line (an empty line gives an "
                       "empty line); with --nbest N > 1, N lines `LINE ||| translation ||| score` each.")
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directory written by `seqkit train nmt`")
    p.add_argument("--checkpoint", default="best", help="best, latest, average, or a step number")
    p.add_argument("--input", metavar="FILE", help="UTF-8 file, one sentence a line (default: stdin)")
    p.add_argument("--output", metavar="FILE", help="write the translations here (default: stdout)")
    p.add_argument("--beam", type=int, default=5, help="beam width (1: greedy search)")
    p.add_argument("--alpha", type=float, default=0.6, help="GNMT length penalty exponent (0: none)")
    p.add_argument("--coverage", type=float, default=0.0, help="GNMT coverage penalty weight beta (0: none)")
    p.add_argument("--nbest", type=int, default=1, help="hypotheses printed per sentence (at most --beam)")
    p.add_argument("--min-len", type=int, default=0, help="shortest output, in target tokens")
    p.add_argument("--max-ratio", type=float, default=2.0,
                   help="longest output: max-ratio x source tokens + max-extra")
    p.add_argument("--max-extra", type=int, default=10, help="see --max-ratio")
    p.add_argument("--batch-size", type=int, default=None, help="sentences per search batch "
                   "(default: the run's eval_batch_size)")
    p.add_argument("--alignments", metavar="PNG",
                   help="also draw the attention of --align-lines as heatmaps into this PNG (and the "
                   "matrices into PNG.npz)")
    p.add_argument("--align-lines", default="1", metavar="N,M", help="input line numbers to draw")
    p.set_defaults(func=run)


def read_input(path: str | None) -> list[str]:
    """The input's lines; blank lines are kept so that output lines match input lines."""
    text, _ = read_input_text(path)
    return split_lines(text) if text else []


def run(args: argparse.Namespace) -> int:
    from seqkit.training.nmt_task import load_run

    try:
        chosen = sorted({int(n) for n in args.align_lines.split(",")})
    except ValueError:
        raise ConfigError(f"--align-lines takes line numbers like 1,3, not {args.align_lines!r}") from None
    lines = read_input(args.input)
    translator = load_run(args.runs, args.checkpoint)
    out = translator.translate(lines, args.beam, args.alpha, args.nbest, min_len=args.min_len,
                               max_ratio=args.max_ratio, max_extra=args.max_extra, beta=args.coverage,
                               batch_size=args.batch_size)
    if args.nbest > 1:
        text = "".join(f"{i} ||| {hyp} ||| {score:.4f}\n"
                       for i, hyps in enumerate(out) for hyp, score in hyps)
    else:
        text = "".join(line + "\n" for line in out)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.alignments:
        from seqkit.decoding.alignment import export_alignments

        best = [o[0][0] if o else "" for o in out] if args.nbest > 1 else out
        export_alignments(translator, lines, best, chosen, args.alignments)
    return 0

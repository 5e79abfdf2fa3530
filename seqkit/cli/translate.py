"""`seqkit translate DIR [DIR2 ...]`: translate stdin or --input, one output line per input line."""

from __future__ import annotations

import argparse
import sys

from seqkit.cli.common import add_decode_flags, decode_options, read_input_text, writable_output
from seqkit.data.text import split_lines
from seqkit.decoding import defaults
from seqkit.errors import ConfigError
from seqkit.fileio import atomic_write_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `translate` verb."""
    p = sub.add_parser("translate", help="translate text with a trained NMT model (or an ensemble)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Translate standard input or --input, one sentence a line, with the model "
                       "of a run directory; several directories translate as an ensemble (mean of their "
                       "log-probabilities). Each input line gives one output line (an empty line gives an "
                       "empty line); with --nbest N > 1, N lines `LINE ||| translation ||| score` each. "
                       "Beam search by default; --beam 1 is greedy search, --sample draws translations "
                       "(back-translation, diverse outputs).")
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directory written by `seqkit train nmt`")
    p.add_argument("--checkpoint", default="best", help="best, latest, average, or a step number")
    p.add_argument("--input", metavar="FILE", help="UTF-8 file, one sentence a line (default: stdin)")
    p.add_argument("--output", metavar="FILE", help="write the translations here (default: stdout)")
    add_decode_flags(p)
    p.add_argument("--max-ratio", type=float, default=defaults.MAX_RATIO,
                   help="longest output: max-ratio x source tokens + max-extra")
    p.add_argument("--max-extra", type=int, default=defaults.MAX_EXTRA, help="see --max-ratio")
    p.add_argument("--max-output", type=int, default=defaults.MAX_OUTPUT, help="no output is longer (tokens)")
    p.add_argument("--max-source", type=int, default=defaults.MAX_SOURCE,
                   help="source lines of more tokens are cut to this many, with a warning naming the line")
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
    from seqkit.inference.translator import load_translator

    try:
        chosen = sorted({int(n) for n in args.align_lines.split(",")})
    except ValueError:
        raise ConfigError(f"--align-lines takes line numbers like 1,3, not {args.align_lines!r}") from None
    if args.max_source < 1:
        raise ConfigError(f"--max-source must be at least 1, not {args.max_source}")
    output, options = writable_output(args.output), decode_options(args)
    options.strategy()  # bad options fail before the model loads
    lines = read_input(args.input)
    translator = load_translator(args.runs, args.checkpoint)
    limits = dict(max_ratio=args.max_ratio, max_extra=args.max_extra, max_output=args.max_output,
                  batch_size=args.batch_size)
    out = translator.translate(lines, options, args.max_source, **limits)
    if args.nbest > 1:
        text = "".join(f"{i} ||| {hyp} ||| {score:.4f}\n"
                       for i, hyps in enumerate(out) for hyp, score in hyps)
    else:
        text = "".join(line + "\n" for line in out)
    if output:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
    if args.alignments:
        from seqkit.decoding.alignment import export_alignments

        best = [o[0][0] if o else "" for o in out] if args.nbest > 1 else out
        export_alignments(translator, lines, best, chosen, args.alignments)
    return 0

"""`seqkit translate DIR [DIR2 ...]`: translate stdin or --input, one output line per input line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seqkit.cli.common import (
    MixedParser,
    add_decode_flags,
    creatable_output,
    decode_options,
    read_input_text,
    writable_output,
)
from seqkit.cli.streaming import STDIN, stream_lines
from seqkit.config import check_count
from seqkit.data.text import split_lines
from seqkit.decoding import defaults
from seqkit.errors import ConfigError, DataError, Interrupted
from seqkit.fileio import atomic_write_text

CHUNK_BATCHES = 16  # batches per chunk of input lines: at most what an interrupted run loses


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `translate` verb."""
    p = sub.add_parser("translate", help="translate text with a trained NMT model (or an ensemble)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Translate standard input or --input, one sentence a line, with the model "
                       "of a run directory; several directories translate as an ensemble (mean of their "
                       "log-probabilities). Each input line gives one output line (an empty line gives an "
                       "empty line); with --nbest N > 1, N lines `LINE ||| translation ||| score` each. "
                       "Beam search by default; --beam 1 is greedy search, --sample draws translations "
                       "(back-translation, diverse outputs). A '-' after the directories (or --input -) "
                       "translates each line as soon as it arrives and flushes its output: for pipes and "
                       "shell sessions.")
    add_run_flags(p)
    p.add_argument("--input", metavar="FILE", help="UTF-8 file, one sentence a line (default: stdin; "
                   "'-': stdin, a line at a time)")
    p.add_argument("--output", metavar="FILE", help="write the translations here (default: stdout)")
    add_search_flags(p)
    p.add_argument("--alignments", metavar="PNG",
                   help="also draw the attention of --align-lines as heatmaps into this PNG (and the "
                   "matrices into PNG.npz)")
    p.add_argument("--align-lines", default="1", metavar="N,M", help="input line numbers to draw")
    p.set_defaults(func=run)
    p.__class__ = MixedParser  # `DIR --beam 3 -`: the '-' after the options is one of the DIRs too


def add_run_flags(p: argparse.ArgumentParser) -> None:
    """The NMT run directories (several: an ensemble) and their checkpoint."""
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directory written by `seqkit train nmt`")
    p.add_argument("--checkpoint", default="best", help="best, latest, average, or a step number")


def add_search_flags(p: argparse.ArgumentParser) -> None:
    """The decoding flags and the search limits (see search_limits)."""
    add_decode_flags(p)
    p.add_argument("--max-ratio", type=float, default=defaults.MAX_RATIO,
                   help="longest output: max-ratio x source tokens + max-extra")
    p.add_argument("--max-extra", type=int, default=defaults.MAX_EXTRA, help="see --max-ratio")
    p.add_argument("--max-output", type=int, default=defaults.MAX_OUTPUT, help="no output is longer (tokens)")
    p.add_argument("--max-source", type=int, default=defaults.MAX_SOURCE,
                   help="source lines of more tokens are cut to this many, with a warning naming the line")
    p.add_argument("--batch-size", type=int, default=None, help="sentences per search batch "
                   "(default: the run's eval_batch_size)")


def search_limits(args: argparse.Namespace) -> dict:
    """Translator.translate's keywords beyond the DecodeOptions, from add_search_flags' flags."""
    from seqkit.inference.translator import check_limits

    check_count("--max-source", args.max_source)
    check_count("--batch-size", args.batch_size)  # before the chunks it sizes
    check_limits(args.max_ratio, args.max_extra, args.max_output)  # before the model loads
    return dict(max_source=args.max_source, max_ratio=args.max_ratio, max_extra=args.max_extra,
                max_output=args.max_output, batch_size=args.batch_size)


def read_input(path: str | None) -> list[str]:
    """The input's lines; blank lines are kept so that output lines match input lines. An input with no
    text at all is an error, as classify's and score's are: most likely the wrong file."""
    text, name = read_input_text(path)
    if not text.strip():
        raise DataError(f"{name}: nothing to translate (the input is empty or blank)")
    return split_lines(text)


def format_output(index: int, out: str | list[tuple[str, float]], nbest: int) -> str:
    """The output lines of input line `index` (0-based): its translation, or its n best."""
    if nbest > 1:
        return "".join(f"{index} ||| {hyp} ||| {score:.4f}\n" for hyp, score in out)
    return out + "\n"


def streamed_runs(args: argparse.Namespace) -> list[str] | None:
    """The run directories when the input is streamed (`DIR -` or `--input -`), else None."""
    if args.runs[-1] != STDIN and args.input != STDIN:
        return None
    runs = args.runs[:-1] if args.runs[-1] == STDIN else args.runs
    if not runs or (args.runs[-1] == STDIN and args.input):
        raise ConfigError("give the run directories, then '-' or --input FILE (one of the two)")
    if args.output or args.alignments:
        raise ConfigError("a streamed input ('-') is answered line by line on standard output; drop "
                          "--output and --alignments")
    return runs


def translate_in_chunks(translator, lines: list[str], options, limits: dict, nbest: int,
                        output: Path | None) -> list:
    """Translate `lines` in input-order chunks of CHUNK_BATCHES batches, each written (stdout, flushed) or
    kept (--output, written atomically at the end) once done; Ctrl-C or SIGTERM keeps the chunks done,
    the output file included, and says how many lines they hold."""
    size = (limits["batch_size"] or translator.cfg.eval_batch_size) * CHUNK_BATCHES
    out, texts = [], []
    try:
        for start in range(0, len(lines), size):
            done = translator.translate(lines[start:start + size], options, first_line=start + 1, **limits)
            texts.append("".join(format_output(start + i, o, nbest) for i, o in enumerate(done)))
            out += done
            if not output:
                sys.stdout.write(texts[-1])
                sys.stdout.flush()
    except KeyboardInterrupt:
        if output:
            atomic_write_text(output, "".join(texts))
        where = f"{output} holds" if output else "standard output has"
        raise Interrupted(f"{where} the translations of the first {len(out)} of {len(lines)} lines") from None
    if output:
        atomic_write_text(output, "".join(texts))
    return out


def run(args: argparse.Namespace) -> int:
    from seqkit.inference.translator import load_translator

    try:
        chosen = sorted({int(n) for n in args.align_lines.split(",")})
    except ValueError:
        raise ConfigError(f"--align-lines takes line numbers like 1,3, not {args.align_lines!r}") from None
    limits, streamed = search_limits(args), streamed_runs(args)
    output, options = writable_output(args.output), decode_options(args)
    if args.alignments:
        creatable_output(args.alignments)  # not once the translations are done
    options.strategy()  # bad options fail before the model loads
    lines = [] if streamed else read_input(args.input)  # a bad input fails before the model loads too
    translator = load_translator(streamed or args.runs, args.checkpoint)
    if streamed:
        return stream_lines(lambda line, n: format_output(
            n - 1, translator.translate([line], options, first_line=n, **limits)[0], args.nbest))
    out = translate_in_chunks(translator, lines, options, limits, args.nbest, output)
    if args.alignments:
        from seqkit.decoding.alignment import export_alignments

        best = [o[0][0] if o else "" for o in out] if args.nbest > 1 else out
        export_alignments(translator, lines, best, chosen, args.alignments)
    return 0

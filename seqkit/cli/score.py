"""`seqkit score DIR --src FILE --tgt FILE`: the model's log-probability of given translations."""

from __future__ import annotations

import argparse
import sys

from seqkit.cli.common import writable_output
from seqkit.cli.translate import add_run_flags
from seqkit.config import check_count
from seqkit.fileio import atomic_write_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `score` verb."""
    p = sub.add_parser("score", help="log-probability and perplexity of given translations",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Score each target line as the translation of its source line under "
                       "the model of a run (teacher forcing; several runs: an ensemble, mean of their "
                       "log-probabilities): one line `LOGP ||| target` per pair, LOGP the summed natural-log "
                       "probability of its tokens and </s> (OpenNMT-tf's `score` prints its negation). "
                       "Sentences, tokens and corpus perplexity go to standard error.")
    add_run_flags(p)
    p.add_argument("--src", required=True, metavar="FILE", help="source sentences, one a line")
    p.add_argument("--tgt", required=True, metavar="FILE", help="their translations, line-aligned")
    p.add_argument("--output", metavar="FILE", help="write the scores here (default: stdout)")
    p.add_argument("--batch-size", type=int, default=None, help="pairs per model call (default: the run's "
                   "eval_batch_size)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.inference.nmt_eval import read_eval_set
    from seqkit.inference.scorer import score_lines
    from seqkit.inference.translator import load_translator

    output = writable_output(args.output)
    check_count("--batch-size", args.batch_size)  # before the model loads
    pairs = read_eval_set(args.src, args.tgt)  # aligned, none blank: checked before the model loads
    scores = score_lines(load_translator(args.runs, args.checkpoint), pairs.src, pairs.ref, args.batch_size,
                         pairs.names)
    text = "".join(f"{logp:.4f} ||| {line}\n" for logp, line in zip(scores.logp, pairs.ref))
    if output:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
    s = scores.summary()
    print(f"sentences {s['sentences']}  tokens {s['tokens']}  logp {s['logp']:.2f}  ppl {s['ppl']:.4f}",
          file=sys.stderr)
    return 0

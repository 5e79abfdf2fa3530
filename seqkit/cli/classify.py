"""`seqkit classify DIR "text" ...` or `--input FILE`: one label per text, probabilities with --json."""

from __future__ import annotations

import argparse
import json
import sys

from seqkit.cli.common import MixedParser, read_input_text, verb_parser
from seqkit.cli.streaming import STDIN, stream_lines
from seqkit.data.text import split_lines
from seqkit.errors import ConfigError, DataError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `classify` verb."""
    p = verb_parser(sub, "classify", "label texts with a trained classifier",
                    "Print one label per text, in input order, with a classifier rebuilt from its run "
                    "directory. Texts come as arguments or from --input (one text a line). An empty "
                    "text is an error naming it, so that output lines always match input lines. `DIR -` "
                    "(or --input -) labels each line of standard input as soon as it arrives and flushes "
                    "its output: for pipes and shell sessions.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    p.add_argument("--input", metavar="FILE",
                   help="UTF-8 file, one text a line ('-': standard input, a line at a time)")
    p.add_argument("--json", action="store_true",
                   help="print JSON lines: {text, label, probs: {class: probability}}")
    p.add_argument("--batch-size", type=int, default=None, help="texts per model call (default: the run's "
                   "eval_batch_size)")
    p.set_defaults(func=run)
    p.__class__ = MixedParser  # the sub-parsers action builds plain parsers; this one mixes


def read_inputs(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(texts, where each one came from) from the arguments or --input."""
    if bool(args.texts) == bool(args.input):
        raise ConfigError("give the texts as arguments or with --input FILE (one of the two)")
    if args.texts:
        return args.texts, [f"text argument {i}" for i in range(1, len(args.texts) + 1)]
    text, name = read_input_text(args.input)
    if not text:
        raise DataError(f"{name}: nothing to classify")
    lines = split_lines(text)
    return lines, [f"{name} line {i}" for i in range(1, len(lines) + 1)]


def format_result(text: str, result: dict, as_json: bool) -> str:
    """One output line: the label, or with --json the text, label and rounded probabilities."""
    if not as_json:
        return result["label"] + "\n"
    probs = {c: round(p, 6) for c, p in result["probs"].items()}
    return json.dumps({"text": text, "label": result["label"], "probs": probs}, ensure_ascii=False) + "\n"


def streamed(args: argparse.Namespace) -> bool:
    """Whether standard input is answered a line at a time: `DIR -` or `--input -` (not both)."""
    return (args.texts == [STDIN] and not args.input) or (args.input == STDIN and not args.texts)


def run(args: argparse.Namespace) -> int:
    from seqkit.inference.classifier import classify, load_classifier

    if streamed(args):
        clf = load_classifier(args.run, args.checkpoint)
        return stream_lines(lambda line, n: format_result(
            line, classify(clf, [line], [f"standard input line {n}"])[0], args.json))
    texts, where = read_inputs(args)
    for text, result in zip(texts, classify(args.run, texts, where, args.checkpoint, args.batch_size)):
        sys.stdout.write(format_result(text, result, args.json))
    return 0

"""`seqkit classify DIR "text" ...` or `--input FILE`: one label per text, probabilities with --json."""

from __future__ import annotations

import argparse
import json

from seqkit.cli.common import read_input_text, verb_parser
from seqkit.data.text import split_lines
from seqkit.errors import ConfigError, DataError


class MixedParser(argparse.ArgumentParser):
    """Texts may stand before, between or after the options (`DIR --json "text"`); plain argparse
    fills the texts with nothing once an option follows DIR."""

    _inner = False  # parse_known_intermixed_args calls parse_known_args itself

    def parse_known_args(self, args=None, namespace=None):
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `classify` verb."""
    p = verb_parser(sub, "classify", "label texts with a trained classifier",
                    "Print one label per text, in input order, with a classifier rebuilt from its run "
                    "directory. Texts come as arguments or from --input (one text a line). An empty "
                    "text is an error naming it, so that output lines always match input lines.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    p.add_argument("--input", metavar="FILE", help="UTF-8 file, one text a line ('-': standard input)")
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


def run(args: argparse.Namespace) -> int:
    from seqkit.inference.classifier import classify

    texts, where = read_inputs(args)
    for text, result in zip(texts, classify(args.run, texts, where, args.checkpoint, args.batch_size)):
        if args.json:
            probs = {c: round(p, 6) for c, p in result["probs"].items()}
            print(json.dumps({"text": text, "label": result["label"], "probs": probs}, ensure_ascii=False))
        else:
            print(result["label"])
    return 0

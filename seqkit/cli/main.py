"""`seqkit VERB ...`: builds the parser from each verb module and turns user errors into exit code 2."""

from __future__ import annotations

import argparse
import importlib
import sys

from seqkit import __version__
from seqkit.cli.common import with_default_kind
from seqkit.errors import SeqkitError

# Each module defines `register(subparsers)`, which adds its parser and sets `func=run(args) -> int`.
VERBS = ("train", "sample", "evaluate", "export", "data", "embed", "wmd", "classify", "vocab",
         "translate", "average")


def build_parser() -> argparse.ArgumentParser:
    """The full `seqkit` parser; verb modules are imported here so `--help` lists them all."""
    parser = argparse.ArgumentParser(prog="seqkit", description="Text and sequence modeling on TensorFlow 2.")
    parser.add_argument("--version", action="version", version=f"seqkit {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        importlib.import_module(f"seqkit.cli.{verb}").register(sub)
    return parser


def subcommands(parser: argparse.ArgumentParser, verb: str) -> set[str]:
    """The names of a verb's sub-commands (for the verbs with a default kind)."""
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    inner = verbs.choices[verb]
    return {name for a in inner._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    for verb in VERBS:  # verbs whose kind may be left out name a DEFAULT_KIND
        default = getattr(importlib.import_module(f"seqkit.cli.{verb}"), "DEFAULT_KIND", None)
        if default:
            argv = with_default_kind(argv, verb, default, subcommands(parser, verb))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SeqkitError as e:
        print(f"seqkit {args.verb}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a path or permission the user gave: a user error too, with the path in it
        message = f"{e.filename}: {e.strerror}" if e.filename else str(e)
        print(f"seqkit {args.verb}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"seqkit {args.verb}: interrupted", file=sys.stderr)
        return 130

"""`seqkit VERB ...`: builds the parser from each verb module and turns user errors into exit code 2."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from types import FrameType

from seqkit import __version__
from seqkit.cli.common import with_default_kind
from seqkit.cli.quiet import import_tensorflow
from seqkit.errors import SeqkitError

# Each module defines `register(subparsers)`, which adds its parser and sets `func=run(args) -> int`.
VERBS = ("train", "sample", "evaluate", "export", "data", "embed", "wmd", "classify", "vocab",
         "translate", "average", "score", "plot", "serve")


def build_parser() -> argparse.ArgumentParser:
    """The full `seqkit` parser; verb modules are imported here so `--help` lists them all."""
    parser = argparse.ArgumentParser(prog="seqkit", description="Text and sequence modeling on TensorFlow 2.")
    parser.add_argument("--version", action="version", version=f"seqkit {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up messages (CUDA probing and the like); also "
                        "SEQKIT_VERBOSE=1")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        importlib.import_module(f"seqkit.cli.{verb}").register(sub)
    return parser


def subcommands(parser: argparse.ArgumentParser, verb: str) -> set[str]:
    """The names of a verb's sub-commands (for the verbs with a default kind)."""
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    inner = verbs.choices[verb]
    return {name for a in inner._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices}


def interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's handler: the verbs save (training) or keep (outputs) what is done, as on Ctrl-C."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    for verb in VERBS:  # verbs whose kind may be left out name a DEFAULT_KIND
        default = getattr(importlib.import_module(f"seqkit.cli.{verb}"), "DEFAULT_KIND", None)
        if default:
            argv = with_default_kind(argv, verb, default, subcommands(parser, verb))
    args = parser.parse_args(argv)
    on_main_thread = threading.current_thread() is threading.main_thread()  # where signals arrive
    previous = signal.signal(signal.SIGTERM, interrupt) if on_main_thread else None  # `kill` as Ctrl-C
    try:
        if getattr(args, "tensorflow", True):  # the verbs that never touch TensorFlow say so
            import_tensorflow(args.verbose)
        return int(args.func(args) or 0)
    except SeqkitError as e:
        print(f"seqkit {args.verb}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a path or permission the user gave: a user error too, with the path in it
        message = f"{e.filename}: {e.strerror}" if e.filename else str(e)
        print(f"seqkit {args.verb}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (above); an Interrupted says what was kept
        print(f"seqkit {args.verb}: interrupted" + (f"; {e}" if str(e) else ""), file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

"""Pieces every verb's parser shares."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

from seqkit.data.text import decode_utf8
from seqkit.errors import DataError


class MixedParser(argparse.ArgumentParser):
    """Positionals may stand before, between or after the options (`DIR --json "text"`, `DIR --beam 3 -`);
    plain argparse fills them with nothing once an option follows the first. Set a sub-parser's
    __class__ to it (the sub-parsers action builds plain parsers)."""

    _inner = False  # parse_known_intermixed_args calls parse_known_args itself

    def parse_known_args(self, args=None, namespace=None):
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def verb_parser(sub: argparse._SubParsersAction, name: str, help: str, description: str,
                run_dir: bool = True) -> argparse.ArgumentParser:
    """A verb's parser showing defaults in --help; with `run_dir`, the DIR and --checkpoint arguments."""
    p = sub.add_parser(name, help=help, description=description,
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    if run_dir:
        p.add_argument("run", metavar="DIR", help="run directory written by `seqkit train`")
        p.add_argument("--checkpoint", default="best", help="best, latest, or a step number")
    return p


def kinds_parser(sub: argparse._SubParsersAction, name: str, help: str,
                 description: str) -> argparse._SubParsersAction:
    """A verb whose first word names a kind (`seqkit evaluate bleu ...`); returns the kinds' subparsers."""
    p = sub.add_parser(name, help=help, description=description)
    return p.add_subparsers(dest="kind", metavar="KIND", required=True)


def with_default_kind(argv: list[str], verb: str, default: str, kinds: set[str]) -> list[str]:
    """Insert a verb's default kind when the word after the verb is not a kind (nor --help)."""
    if len(argv) >= 2 and argv[0] == verb and argv[1] not in kinds | {"-h", "--help"}:
        return [verb, default, *argv[1:]]
    return argv


def read_input_text(path: str | None) -> tuple[str, str]:
    """(text, its name for messages) of a UTF-8 file, or of standard input when path is None or '-'."""
    if path in (None, "-"):
        return decode_utf8(sys.stdin.buffer.read(), "standard input"), "standard input"
    if Path(path).is_dir():
        raise DataError(f"{path}: is a directory; give a text file")
    if not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    return decode_utf8(Path(path).read_bytes(), path), path


def add_decode_flags(p: argparse.ArgumentParser) -> None:
    """One flag per DecodeOptions field (`--beam`, `--sample`, `--no-repeat-ngram`, ...)."""
    from seqkit.config import add_field_flags
    from seqkit.decoding.options import DecodeOptions

    add_field_flags(p, DecodeOptions)


def decode_options(args: argparse.Namespace):
    """The DecodeOptions the decoding flags of `args` give."""
    from seqkit.decoding.options import DecodeOptions

    return DecodeOptions(**{f.name: getattr(args, f.name) for f in dataclasses.fields(DecodeOptions)})


def writable_output(path: str | None) -> Path | None:
    """Check before any work that `path` can be written (its folder exists and takes files), so that
    results are never computed only to be lost."""
    if path is None:
        return None
    out = Path(path)
    if out.is_dir():
        raise DataError(f"{path}: is a directory; give a file name")
    if not out.parent.is_dir():
        raise DataError(f"{path}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DataError(f"{path}: cannot write there (permission denied)")
    return out


def creatable_output(path: str | Path) -> Path:
    """Check before any work that a file can be made at `path`, missing folders included (fileio.atomic_write
    makes them): a file on the way, or a folder that takes no files (/proc, a read-only one even for root,
    whom os.access lets through), fails here, not after the work and under a temporary file's name."""
    out = Path(path)
    if out.is_dir():
        raise DataError(f"{out}: is a directory; give a file name")
    folder = out.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise DataError(f"{out}: {folder} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise DataError(f"{out}: cannot write in {folder} ({e.strerror}); give another path") from None
    return out

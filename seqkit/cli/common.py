"""Pieces every verb's parser shares."""

from __future__ import annotations

import argparse


def verb_parser(sub: argparse._SubParsersAction, name: str, help: str, description: str,
                run_dir: bool = True) -> argparse.ArgumentParser:
    """A verb's parser showing defaults in --help; with `run_dir`, the DIR and --checkpoint arguments."""
    p = sub.add_parser(name, help=help, description=description,
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    if run_dir:
        p.add_argument("run", metavar="DIR", help="run directory written by `seqkit train`")
        p.add_argument("--checkpoint", default="best", help="best, latest, or a step number")
    return p

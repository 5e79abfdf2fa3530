"""`seqkit export DIR --h5 FILE`: a run's weights as HDF5, one dataset per variable, names kept."""

from __future__ import annotations

import argparse

from seqkit.cli.common import verb_parser


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export` verb."""
    p = verb_parser(sub, "export", "export a model's weights to HDF5",
                    "Write the weights of a trained run of any kind (char-rnn, cnn-sentiment, nmt) to HDF5 "
                    "(h5py): one dataset per variable under its stable name. `seqkit.api.import_h5` loads "
                    "them back.")
    p.add_argument("--h5", required=True, metavar="FILE", help="HDF5 file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.api import export_h5

    print(export_h5(args.run, args.h5, checkpoint=args.checkpoint))
    return 0

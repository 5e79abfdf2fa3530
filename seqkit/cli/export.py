"""`seqkit export DIR --saved-model OUT | --h5 FILE`: a run as a SavedModel with string signatures, or
its weights as HDF5."""

from __future__ import annotations

import argparse

from seqkit.cli.common import creatable_output, verb_parser


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export` verb."""
    p = verb_parser(sub, "export", "export a model as a SavedModel, or its weights as HDF5",
                    "Write a trained run of any kind (char-rnn, cnn-sentiment, nmt) as a TensorFlow "
                    "SavedModel whose signature takes and returns strings, tokenizer inside: "
                    "`generate(prime, length, temperature, seed)` for a char LM, `translate(sentences, beam, "
                    "alpha)` for NMT (sentencepiece vocabularies need tensorflow-text to load: pip install "
                    "'seqkit[export]'), `classify(texts) -> (labels, probabilities)` for a classifier. Or "
                    "write its weights to HDF5, one dataset per variable under its stable name "
                    "(`seqkit.api.import_h5` loads them).")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--saved-model", metavar="DIR", help="SavedModel directory to write")
    out.add_argument("--h5", metavar="FILE", help="HDF5 file to write")
    p.add_argument("--max-beam", type=int, default=8, help="NMT: the widest beam the SavedModel searches "
                   "(each width up to it is compiled in)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing SavedModel directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.api import export_h5, export_saved_model

    if args.h5:
        creatable_output(args.h5)  # not after loading the model, under the temporary file's name
        print(export_h5(args.run, args.h5, checkpoint=args.checkpoint))
    else:
        print(export_saved_model(args.run, args.saved_model, args.checkpoint, args.max_beam, args.overwrite))
    return 0

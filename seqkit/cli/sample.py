"""`seqkit sample DIR`: generate text from a trained character model."""

from __future__ import annotations

import argparse
import sys

from seqkit.cli.common import verb_parser
from seqkit.decoding import defaults


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sample` verb."""
    p = verb_parser(sub, "sample", "generate text from a trained character model",
                    "Generate text from a character model, rebuilt from its run directory: sampled (the "
                    "default), greedy (--temperature 0) or the most likely continuation by beam search "
                    "(--beam N).")
    p.add_argument("--length", type=int, default=500, help="characters to generate after the prime")
    p.add_argument("--temperature", type=float, default=defaults.TEMPERATURE,
                   help="softmax temperature; 0 means argmax")
    p.add_argument("--top-k", type=int, default=defaults.TOP_K,
                   help="sample among the k most likely characters (0: all)")
    p.add_argument("--top-p", type=float, default=defaults.TOP_P, help="nucleus sampling mass (1: off)")
    p.add_argument("--beam", type=int, default=1, help="beam width: N > 1 prints the most likely "
                   "continuation beam search finds (temperature, top-k and top-p then do not apply)")
    p.add_argument("--no-repeat-ngram", type=int, default=0, help="never repeat an N-gram of generated "
                   "characters (0: off)")
    p.add_argument("--prime", default="", help="text to start from (printed first); default: a newline")
    p.add_argument("--num-samples", type=int, default=1, help="independent samples, generated as one batch")
    p.add_argument("--seed", type=int, default=0, help="same seed, same samples")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.api import sample

    texts = sample(args.run, length=args.length, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, prime=args.prime, num_samples=args.num_samples, seed=args.seed,
                   checkpoint=args.checkpoint, beam=args.beam, no_repeat_ngram=args.no_repeat_ngram)
    for i, text in enumerate(texts):
        if i:
            sys.stdout.write("\n" + "-" * 40 + "\n")
        sys.stdout.write(text)
    sys.stdout.write("\n")
    return 0

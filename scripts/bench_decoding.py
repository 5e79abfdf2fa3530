"""Benchmark: beam search's selection step, seqkit.decoding.top_k against tf.math.top_k, in one process.

Each beam step picks, per sentence, the `--beam` best of beam x vocabulary extensions. This times both
functions on random rows of that shape (64 sentences, beam 5, 8,000 subwords by default: the Bible
benchmark's), checks that they agree, and prints the ratio. `scripts/bench_nmt.py --decode-only` gives
what it is worth in sentences/s.

    python scripts/bench_decoding.py
    python scripts/bench_decoding.py --sentences 128 --beam 8 --vocab 32000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import tensorflow as tf

from seqkit.decoding.top_k import top_k


def milliseconds(fn, x: tf.Tensor, k: int, repeats: int) -> float:
    """Best of 5 means over `repeats` calls of the compiled fn(x, k)."""
    compiled = tf.function(lambda x: fn(x, k))
    compiled(x)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            out = compiled(x)
        out[0].numpy()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sentences", type=int, default=64)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--vocab", type=int, default=8000)
    p.add_argument("--repeats", type=int, default=50)
    args = p.parse_args()
    shape = (args.sentences, args.beam * args.vocab)
    x = tf.constant(np.random.default_rng(0).normal(size=shape), tf.float32)
    reference, ours = tf.math.top_k(x, args.beam), top_k(x, args.beam)
    assert np.array_equal(reference.indices.numpy(), ours[1].numpy()), "top_k disagrees with tf.math.top_k"
    slow = milliseconds(lambda x, k: tuple(tf.math.top_k(x, k)), x, args.beam, args.repeats)
    fast = milliseconds(top_k, x, args.beam, args.repeats)
    print(f"rows [{args.sentences}, {args.beam} x {args.vocab}], k = {args.beam}: tf.math.top_k "
          f"{slow:.2f} ms, seqkit top_k {fast:.2f} ms: {slow / fast:.1f}x")


if __name__ == "__main__":
    main()

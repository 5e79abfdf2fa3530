"""How close to the machine's limit a model trains: the dense-matmul rate of this machine, measured now,
and the floating-point operations of a training step, counted from the model's weights.

A figure such as "5,000 chars/s" says nothing on another machine (they differ by 2x and more); "the
step runs at 55% of this machine's matmul peak" does. Every benchmark prints both, measured in the same
process. FLOPs count the multiply-adds of matrix products (2 per multiply-add), which are nearly all the
work of these models: each 2-D weight (kernel) does one multiply-add per entry for every row it is
applied to, attention adds its score and mixing products, and the backward pass costs twice the forward
(gradients of inputs and of weights), as in nanoGPT's and PaLM's utilisation estimates.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from seqkit.models.cnn_classifier import CNNClassifier
from seqkit.models.seq2seq import Seq2Seq
from seqkit.models.transformer_lm import TransformerLM

SQUARE = 2048  # the machine's reference: a square matmul this large runs near the BLAS library's peak
BACKWARD = 2  # the backward pass costs twice the forward: gradients of inputs and of weights


def matmul_gflops(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    """GFLOP/s of a compiled float32 [m, k] x [k, n] matmul on this machine, now (after a warm-up)."""
    a, b = tf.random.normal([m, k], seed=1), tf.random.normal([k, n], seed=2)
    product = tf.function(tf.matmul)
    product(a, b).numpy()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or calls < 3:
        product(a, b).numpy()
        calls += 1
    return 2 * m * k * n * calls / elapsed / 1e9


def matmul_reference(model_shape: tuple[int, int, int] | None = None) -> dict[str, float]:
    """GFLOP/s of tf.matmul at SQUARE x SQUARE ("peak") and, given, at a model's (m, k, n) ("model");
    printed as the reference line of a benchmark."""
    rates = {"peak": round(matmul_gflops(SQUARE, SQUARE, SQUARE, seconds=2.0), 1)}
    line = f"reference: this machine's tf.matmul {SQUARE}^3 runs at {rates['peak']} GFLOP/s"
    if model_shape:
        rates["model"] = round(matmul_gflops(*model_shape), 1)
        line += f", {'x'.join(map(str, model_shape))} (the model's largest product) at {rates['model']}"
    print(line, flush=True)
    return rates


def efficiency(flops_per_unit: float, units_per_s: float, rates: dict[str, float]) -> dict[str, float]:
    """A training step's GFLOP/s and its shares of the matmul rates of `matmul_reference`."""
    gflops = flops_per_unit * units_per_s / 1e9
    return {"train_gflops": round(gflops, 1), "of_peak": round(gflops / rates["peak"], 2)} | (
        {"of_model_matmul": round(gflops / rates["model"], 2)} if "model" in rates else {})


def kernels(layer: keras.layers.Layer) -> list:
    """The trainable weights of `layer` that enter matrix products: those with two or more axes (dense
    and recurrent kernels, convolution filters), embedding tables and biases left out (a lookup and an
    addition are no products; a GRU's bias has two rows)."""
    return [w for w in layer.trainable_weights if len(w.shape) >= 2 and w.name not in ("embeddings", "bias")]


def kernel_entries(layer: keras.layers.Layer) -> int:
    """Multiply-adds of `layer`'s products per row they are applied to."""
    return sum(int(w.shape.num_elements()) for w in kernels(layer))


def largest_product(model: keras.Model, rows: int) -> tuple[int, int, int]:
    """(rows, k, n) of the model's largest kernel applied to `rows` rows: the matmul whose rate bounds the
    step (a recurrent model applies its kernels to `batch` rows per time step, a Transformer to all
    batch x seq_len positions at once)."""
    k, n = max((w.shape for w in kernels(model) if len(w.shape) == 2), key=lambda shape: shape[0] * shape[1])
    return rows, int(k), int(n)


def train_flops(forward: float) -> float:
    """FLOPs of a training step whose forward pass takes `forward` FLOPs."""
    return forward * (1 + BACKWARD)


def char_lm_forward(model: keras.Model, batch: int, seq_len: int) -> float:
    """Forward FLOPs of a character LM on a [batch, seq_len] window: every kernel once per character;
    a Transformer adds, per layer, its scores (QK^T) and mixing (AV), each over the full window (the
    causal mask is applied to a whole seq_len x seq_len product)."""
    flops = 2.0 * batch * seq_len * kernel_entries(model)
    if isinstance(model, TransformerLM):
        flops += model.depth * 2 * (2.0 * batch * seq_len * seq_len * model.dim)
    return flops


def classifier_forward(model: CNNClassifier, tokens: float, examples: float) -> float:
    """Forward FLOPs of the CNN classifier on `examples` texts of `tokens` tokens in all: every filter at
    every position ("same" padding), the softmax layer once a text."""
    convolutions = sum(kernel_entries(conv) for conv in model.convs)
    return 2.0 * (tokens * convolutions + examples * kernel_entries(model.out))


def seq2seq_forward(model: Seq2Seq, cfg, src_lengths: np.ndarray, tgt_lengths: np.ndarray) -> float:
    """Forward FLOPs of teacher-forced NMT on sentence pairs of these lengths: the encoder's kernels per
    source token, the decoder's (its attention and softmax layer included) per target token, plus the
    attention products: self-attention in a Transformer encoder (S^2) and decoder (T^2) and
    cross-attention (S x T) per layer, or a recurrent decoder's one attention (S x T)."""
    s, t = np.asarray(src_lengths, np.float64), np.asarray(tgt_lengths, np.float64)
    flops = 2.0 * (s.sum() * kernel_entries(model.encoder) + t.sum() * kernel_entries(model.decoder))
    products = 2 * 2.0  # scores and mixing, 2 FLOPs a multiply-add
    if cfg.encoder == "transformer":
        flops += cfg.layers * products * cfg.model_dim * (s * s).sum()
    if cfg.decoder == "transformer":
        flops += cfg.layers * products * cfg.model_dim * ((t * t).sum() + (s * t).sum())
    elif cfg.attention != "none":
        flops += products * cfg.units * (s * t).sum()
    return flops

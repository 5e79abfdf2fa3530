"""The FLOP counts benchmarks divide by: equal to TensorFlow's own count of the matrix products in the
model's graph (the profiler counts MatMul and BatchMatMul, 2 FLOPs a multiply-add)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from seqkit.config import CharRNNConfig, CNNSentimentConfig, NMTConfig
from seqkit.metrics.flops import (
    char_lm_forward,
    classifier_forward,
    kernel_entries,
    matmul_gflops,
    seq2seq_forward,
    train_flops,
)
from seqkit.models import build_char_model
from seqkit.models.cnn_classifier import build_classifier
from seqkit.models.seq2seq import build_seq2seq

MATMULS = ["MatMul", "BatchMatMul.*"]


def profiled_flops(fn, ops: list[str], *specs) -> int:
    """FLOPs of the ops of types `ops` in the graph of `fn` traced at `specs` (no loops in it)."""
    graph = tf.function(fn).get_concrete_function(*specs).graph
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = (builder(builder.float_operation()).with_empty_output()
               .account_displayed_op_only(True).select(["float_ops"]).with_node_names(show_name_regexes=[".*"])
               .build())
    options["account_type_regexes"] = ops
    return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_lm_count_equals_the_graph_of_its_steps(cell):
    cfg = CharRNNConfig(cell=cell, layers=2, units=24, embedding_dim=8)
    model = build_char_model(cfg, 11)
    batch, seq_len = 3, 5

    def forward(ids):  # the training window as a Python loop of steps: the graph holds every step
        state = model.fresh_state(batch)
        for t in range(seq_len):
            _, state, _ = model.step(ids[:, t], state)
        return state

    expected = profiled_flops(forward, MATMULS, tf.TensorSpec([batch, seq_len], tf.int32))
    assert char_lm_forward(model, batch, seq_len) == expected


def test_transformer_lm_kernels_equal_the_graph_and_attention_is_added():
    cfg = CharRNNConfig(cell="transformer", layers=2, model_dim=16, heads=2, ff_dim=32, seq_len=6)
    model = build_char_model(cfg, 11)
    batch = 3
    # The profiler does not count einsum (the attention products), only the kernels' matmuls.
    kernels = profiled_flops(lambda ids: model(ids, ())[0], MATMULS, tf.TensorSpec([batch, 6], tf.int32))
    assert kernels == 2 * batch * 6 * kernel_entries(model)
    assert char_lm_forward(model, batch, 6) == kernels + 2 * 2 * (2 * batch * 6 * 6 * 16)
    assert train_flops(10.0) == 30.0


def test_kernel_entries_leave_out_embeddings_and_biases():
    model = build_char_model(CharRNNConfig(cell="lstm", units=4, embedding_dim=3), 5)
    assert kernel_entries(model) == 3 * 16 + 4 * 16 + 4 * 5


def test_seq2seq_count_adds_attention_per_source_and_target_pair():
    cfg = NMTConfig(units=8, embedding_dim=4, attention="luong-dot", bidirectional=False, input_feeding=False)
    model = build_seq2seq(cfg, 7, 9)
    src, tgt = np.array([3, 5]), np.array([2, 4])
    kernels = 2.0 * (8 * kernel_entries(model.encoder) + 6 * kernel_entries(model.decoder))
    assert seq2seq_forward(model, cfg, src, tgt) == kernels + 4 * 8 * (3 * 2 + 5 * 4)


def test_matmul_rate_is_measured():
    assert matmul_gflops(64, 64, 64, seconds=0.05) > 0


def test_cnn_classifier_count_equals_the_graph():
    cfg = CNNSentimentConfig(embedding_dim=6, widths="2,3", maps=5)
    model = build_classifier(cfg, 20, 3)
    batch, length = 4, 7
    spec = tf.TensorSpec([batch, length], tf.int32)
    graph = profiled_flops(model, ["Conv2D", "MatMul"], spec)
    assert classifier_forward(model, batch * length, batch) == graph

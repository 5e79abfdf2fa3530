"""Variable names of checkpoints written before stable names (seqkit 0.1), mapped to today's.

Those files named variables by Keras path, which moved with every change of layout and carried
instance counters; they were loaded by position. Each model family's old layout is one table of
(pattern, replacement) here, so such checkpoints still load by name. Dropout RNG states
(`seed_generator_state`) had no usable name and are left at their fresh values.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CELL = r"(?:lstm|gru)"
SEQ2SEQ = [
    (r"src_embedding/(.+)", r"encoder/embedding/\1"),
    (r"tgt_embedding/(.+)", r"decoder/embedding/\1"),
    (rf"encoder_bi{CELL}_(\d+)/(forward|backward)_\w+/\w+_cell/(.+)", r"encoder/layers/\1/\2_layer/cell/\3"),
    (rf"encoder_{CELL}_(\d+)/\w+_cell/(.+)", r"encoder/layers/\1/cell/\2"),
    (rf"decoder_{CELL}_(\d+)/(.+)", r"decoder/cells/\1/\2"),
    (r"bridge_(\d+)/(.+)", r"bridge/layers/\1/\2"),
    (r"(?:attention/)?(v|g|memory_proj/kernel|query_proj/.+)", r"decoder/attention/\1"),
    (r"attentional/(.+)", r"decoder/combine/\1"),
    (r"logits/(.+)", r"decoder/output_layer/\1"),
]
CHAR_RNN = [
    (r"embedding/(.+)", r"embedding/\1"),
    (rf"{CELL}_(\d+)/\w+_cell/(.+)", r"rnns/\1/cell/\2"),
    (r"logits/(.+)", r"head/\1"),
    (r"U/(.+)", r"embedding/\1"),
    (r"rnn/cell/W/(.+)", r"cell/recurrent/\1"),
    (r"W/(.+)", r"feedback/\1"),
    (r"V/(.+)", r"head/\1"),
]


def cnn_rules(cfg) -> list[tuple[str, str]]:
    """The CNN named its convolutions by width (conv_3); today they are numbered in --widths order."""
    convs = [(rf"conv_{w}/(.+)", rf"convs/{i}/\1") for i, w in enumerate(cfg.width_list)]
    return [(r"(static_embedding|embedding)/(.+)", r"\1/\2"), *convs, (r"softmax/(.+)", r"out/\1")]


def legacy_renamer(cfg) -> Callable[[str], str | None]:
    """old name -> today's name (None: not kept) for the model family of `cfg`."""
    families = {"NMTConfig": lambda _: SEQ2SEQ, "CharRNNConfig": lambda _: CHAR_RNN,
                "CNNSentimentConfig": cnn_rules}
    rules = families[type(cfg).__name__](cfg)
    compiled = [(re.compile(p), r) for p, r in rules]

    def rename(old: str) -> str | None:
        old = re.sub(r"^\d{4}/", "", old)  # the old writer's prefix for repeated names
        for pattern, replacement in compiled:
            if pattern.fullmatch(old):
                return pattern.sub(replacement, old)
        return None

    return rename

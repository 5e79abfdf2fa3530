"""tf.distribute: the mirrored strategy on two logical CPU devices trains like one device."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seqkit.config import CharRNNConfig
    from seqkit.training.char_lm_task import train_char_rnn  # seqkit.api's, without the export modules
    from seqkit.training.distribute import make_strategy

    assert make_strategy("mirrored").num_replicas_in_sync == 2
    losses = {}
    for strategy in ("default", "mirrored"):  # one mirrored model a process: two clash in collectives
        cfg = CharRNNConfig(run=sys.argv[2] + "/" + strategy, data=sys.argv[1], units=32, embedding_dim=16,
                            batch_size=8, seq_len=20, max_steps=4, eval_every=4, log_every=1,
                            eval_batch_size=16, learning_rate=5e-3, seed=1, strategy=strategy,
                            cell=sys.argv[3], model_dim=32, heads=2, ff_dim=64, layers=2,
                            schedule="constant")
        train_char_rnn(cfg)
        records = [json.loads(l) for l in open(cfg.run + "/metrics.jsonl")]
        losses[strategy] = [r["loss"] for r in records if r["split"] == "train"]
    print(json.dumps(losses))
""")


def assert_mirrored_matches_default(script: str, *args: str, steps: int) -> None:
    """Run `script` (it prints the training losses per strategy as JSON) in a fresh process, whose two
    logical CPUs cannot leak into this one, and compare."""
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    losses = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(losses["mirrored"]) == steps
    for a, b in zip(losses["default"], losses["mirrored"]):
        assert abs(a - b) < 1e-4, losses
    assert losses["mirrored"][-1] < losses["mirrored"][0]


@pytest.mark.parametrize("cell", ["lstm", "transformer"])
def test_mirrored_on_two_logical_cpus_matches_one_device(text_file, tmp_path, cell) -> None:
    """The LSTM (state carried between windows) and the Transformer LM (none carried). Four steps: each
    mirrored step of the LSTM gathers its carried state from the replicas, which costs most of a second."""
    assert_mirrored_matches_default(SCRIPT, str(text_file), str(tmp_path), cell, steps=4)


NMT_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seqkit.config import NMTConfig
    from seqkit.training.nmt_task import train_nmt  # seqkit.api's, without the export modules

    words = {"uno": "one", "dos": "two", "gato": "cat", "perro": "dog", "casa": "house", "rojo": "red"}
    rng = np.random.default_rng(0)
    pairs = [list(rng.choice(list(words), rng.integers(2, 7))) for _ in range(200)]
    for side, lines in (("es", [" ".join(p) for p in pairs]), ("en", [" ".join(words[w] for w in p)
                                                                     for p in pairs])):
        open(f"{sys.argv[1]}/train.{side}", "w").write("\\n".join(lines) + "\\n")
    losses = {}
    for strategy in ("default", "mirrored"):
        cfg = NMTConfig(run=f"{sys.argv[1]}/{strategy}", src=f"{sys.argv[1]}/train.es",
                        tgt=f"{sys.argv[1]}/train.en", valid_size=20, vocab_type="word", units=16,
                        embedding_dim=8, batch_tokens=77, max_steps=6, eval_every=6, log_every=1,
                        learning_rate=1e-2, dropout=0.0, eval_beam=2, seed=1, strategy=strategy)
        train_nmt(cfg)
        records = [json.loads(l) for l in open(cfg.run + "/metrics.jsonl")]
        losses[strategy] = [r["loss"] for r in records if r["split"] == "train"]
    print(json.dumps(losses))
""")


def test_nmt_mirrored_on_two_logical_cpus_matches_one_device(tmp_path) -> None:
    """Batches by tokens have any number of rows: the replicas get unequal shares, and the loss is still
    the mean over every target token of the global batch."""
    assert_mirrored_matches_default(NMT_SCRIPT, str(tmp_path), steps=6)

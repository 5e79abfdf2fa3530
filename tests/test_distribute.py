"""tf.distribute: the mirrored strategy on two logical CPU devices trains like one device."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seqkit.api import train_char_rnn
    from seqkit.config import CharRNNConfig
    from seqkit.training.distribute import make_strategy

    assert make_strategy("mirrored").num_replicas_in_sync == 2
    losses = {}
    for strategy in ("default", "mirrored"):
        cfg = CharRNNConfig(run=sys.argv[2] + "/" + strategy, data=sys.argv[1], units=32, embedding_dim=16,
                            batch_size=8, seq_len=20, max_steps=8, eval_every=4, log_every=1,
                            eval_batch_size=16, learning_rate=5e-3, seed=1, strategy=strategy)
        train_char_rnn(cfg)
        records = [json.loads(l) for l in open(cfg.run + "/metrics.jsonl")]
        losses[strategy] = [r["loss"] for r in records if r["split"] == "train"]
    print(json.dumps(losses))
""")


def test_mirrored_on_two_logical_cpus_matches_one_device(text_file, tmp_path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(text_file), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    losses = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(losses["mirrored"]) == 8
    for a, b in zip(losses["default"], losses["mirrored"]):
        assert abs(a - b) < 1e-4, losses
    assert losses["mirrored"][-1] < losses["mirrored"][0]

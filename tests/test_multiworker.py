"""MultiWorkerMirroredStrategy: two worker processes on localhost train in lockstep, like one device."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path


def train(data: str, run: str, strategy: str) -> None:
    from seqkit.config import CharRNNConfig
    from seqkit.training.char_lm_task import train_char_rnn  # seqkit.api's, without the export modules

    train_char_rnn(CharRNNConfig(run=run, data=data, cell="lstm", units=32, embedding_dim=16, batch_size=8,
                                 seq_len=20, max_steps=6, eval_every=3, log_every=1, eval_batch_size=16,
                                 learning_rate=5e-3, seed=1, strategy=strategy))


WORKER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from test_multiworker import train
    train(*sys.argv[2:5])
""")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def losses(run: Path) -> list[float]:
    return [r["loss"] for r in map(json.loads, open(run / "metrics.jsonl")) if r["split"] == "train"]


def test_two_workers_match_one_device(text_file, tmp_path) -> None:
    cluster = {"worker": [f"localhost:{p}" for p in free_ports(2)]}
    run = tmp_path / "run"
    procs = []
    for index in range(2):
        env = {**os.environ,
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        argv = [sys.executable, "-c", WORKER, str(Path(__file__).parent), str(text_file), str(run),
                "multiworker"]
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    # The same run on one device, in this process once the workers are done (saves a TensorFlow start).
    single = tmp_path / "single"
    train(str(text_file), str(single), "default")
    assert len(losses(run)) == 6
    for a, b in zip(losses(run), losses(single)):
        assert abs(a - b) < 1e-4
    # the chief (worker 0) writes the run; the other worker keeps its files apart
    assert (run / "checkpoints" / "ckpt-6.h5").exists()
    assert (run / "worker-1" / "checkpoints" / "ckpt-6.h5").exists()

"""Benchmark: `seqkit serve` under load, against calling `seqkit translate` once per request (issue 11).

Protocol: an NMT run (--run, or by default a small one trained for --train-seconds on
../shared/data/bible_es_en) is served by `seqkit serve` in its own process on a free port. C clients
(C = 1, 8, 32: threads of this process, one keep-alive HTTP connection each) send one dev.es verse per
request, beam 5, each as soon as its previous answer came: --requests requests per level, after a
warm-up. Sentences/s is requests over the level's wall time; latency is per request (p50, p95); batch is
the mean number of sentences per model call (from /health). The reference, measured in the same run on
the same machine, is what a caller without the server does: one `seqkit translate RUN` process per
request (the verse on stdin), at --cli-clients concurrent callers; 32 is left out by default because 32
TensorFlow processes need ~20 GB. Both must give the same translations (checked); the last column is the
server's speed-up in sentences/s.

    python scripts/bench_serve.py                                     # trains a small run (~1 minute)
    python scripts/bench_serve.py --run runs/bench_serve --cli-clients 1,8,32
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BIBLE = Path(__file__).resolve().parents[2] / "shared/data/bible_es_en"
# Small enough to learn something in a minute on 2 cores; validated once, at the end, greedily.
SMALL = dict(units=128, embedding_dim=128, vocab_size=2000, batch_tokens=2000, max_steps=0, eval_every=0,
             eval_beam=1, select="ppl")
SEQKIT = [sys.executable, "-m", "seqkit"]


@dataclass
class Level:
    """What one concurrency level measured."""

    outputs: list[str]
    latencies: np.ndarray  # seconds per request
    wall: float
    batch: float = 0.0  # sentences per model call (server only)

    def row(self) -> list[str]:
        p50, p95 = np.percentile(self.latencies, [50, 95]) * 1000
        return [f"{self.rate:.3g}", f"{p50:.0f}", f"{p95:.0f}"]

    @property
    def rate(self) -> float:
        return len(self.outputs) / self.wall


def train_small(run: Path, data: Path, seconds: float) -> Path:
    from seqkit.config import NMTConfig
    from seqkit.training.nmt_task import train_nmt

    files = dict(src="train.es", tgt="train.en", valid_src="dev.es", valid_tgt="dev.en")
    train_nmt(NMTConfig(**SMALL, **{k: str(data / v) for k, v in files.items()}, run=str(run),
                        max_time=seconds), overwrite=True)
    return run


def drive(make_caller: Callable[[], Callable[[str], str]], sentences: list[str], clients: int) -> Level:
    """Send every sentence once, from `clients` threads that each build their own caller (a connection)
    and take the next sentence as soon as their previous answer came."""
    outputs, latencies = [""] * len(sentences), np.zeros(len(sentences))
    lock, todo = threading.Lock(), iter(range(len(sentences)))

    def client() -> None:
        call = make_caller()
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            start = time.perf_counter()
            outputs[i] = call(sentences[i])
            latencies[i] = time.perf_counter() - start

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Level(outputs, latencies, time.perf_counter() - start)


class Service:
    """`seqkit serve RUN` in a subprocess on a free port."""

    def __init__(self, run: Path):
        self.proc = subprocess.Popen([*SEQKIT, "serve", str(run), "--port", "0"], stdout=subprocess.PIPE,
                                     text=True, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"seqkit serve did not start (exit {self.proc.wait()})")
        self.host, self.port = line.split()[4].removeprefix("http://").split(":")

    def caller(self) -> Callable[[str], str]:
        """translate(sentence) over one keep-alive connection."""
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=120)

        def translate(sentence: str) -> str:
            conn.request("POST", "/translate", json.dumps({"sentences": [sentence]}),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {body['error']}")
            return body["translations"][0]

        return translate

    def counters(self) -> tuple[int, int]:
        """(model calls, sentences) so far."""
        conn = http.client.HTTPConnection(self.host, int(self.port))
        conn.request("GET", "/health")
        model = json.loads(conn.getresponse().read())["models"][0]
        return model["calls"], model["items"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def cli_caller(run: Path) -> Callable[[], Callable[[str], str]]:
    """A caller that runs `seqkit translate RUN` once per sentence."""

    def translate(sentence: str) -> str:
        done = subprocess.run([*SEQKIT, "translate", str(run)], input=sentence + "\n", capture_output=True,
                              text=True, check=True, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
        return done.stdout.rstrip("\n")

    return lambda: translate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="a trained NMT run (default: train a small one into --train-run)")
    p.add_argument("--train-run", default="runs/bench_serve", help="where the small run is trained")
    p.add_argument("--train-seconds", type=float, default=60.0, help="training budget of the small run")
    p.add_argument("--data", default=str(BIBLE), help="folder with train.{es,en} and dev.{es,en}")
    p.add_argument("--clients", default="1,8,32", help="concurrency levels of the server")
    p.add_argument("--cli-clients", default="1,8", help="concurrency levels of the CLI reference")
    p.add_argument("--requests", type=int, default=128, help="requests per server level")
    p.add_argument("--cli-requests", type=int, default=3,
                   help="requests per CLI level (at least one per concurrent caller)")
    args = p.parse_args()
    data = Path(args.data)
    run = Path(args.run) if args.run else train_small(Path(args.train_run), data, args.train_seconds)
    verses = [line for line in (data / "dev.es").read_text(encoding="utf-8").splitlines() if line.strip()]
    levels, cli_levels = ([int(c) for c in s.split(",")] for s in (args.clients, args.cli_clients))
    print(f"# {run}: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start", flush=True)

    service = Service(run)
    try:
        drive(service.caller, verses[:8], 4)  # warm-up: connections, the first batches
        served = {}
        for clients in levels:
            calls, items = service.counters()
            sentences = [verses[i % len(verses)] for i in range(max(args.requests, 4 * clients))]
            served[clients] = drive(service.caller, sentences, clients)
            calls_after, items_after = service.counters()
            served[clients].batch = (items_after - items) / max(calls_after - calls, 1)
            print(f"server, {clients} clients: {served[clients].rate:.1f} sentences/s", flush=True)
    finally:
        service.stop()
    cli = {}
    for clients in cli_levels:
        cli[clients] = drive(cli_caller(run), verses[:max(args.cli_requests, clients)], clients)
        print(f"CLI, {clients} clients: {cli[clients].rate:.2f} sentences/s", flush=True)

    # every level sends the verses from the first on, so the first answers of any two levels must agree
    same = all(level.outputs == served[levels[0]].outputs[:len(level.outputs)] for level in cli.values())
    print(f"\nsame translations from the server and the CLI: {'yes' if same else 'NO'}; load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print("| clients | server sent/s | p50 ms | p95 ms | sentences per model call | CLI sent/s | CLI p50 ms "
          "| CLI p95 ms | server / CLI |\n|" + "---|" * 9)
    for clients, level in served.items():
        ref = cli.get(clients)
        reference = ref.row() + [f"{level.rate / ref.rate:.0f}x"] if ref else ["-"] * 4
        print("| " + " | ".join([str(clients), *level.row(), f"{level.batch:.1f}", *reference]) + " |")
    from seqkit.metrics.flops import matmul_reference  # last, in this process, once the server has stopped

    matmul_reference()


if __name__ == "__main__":
    main()

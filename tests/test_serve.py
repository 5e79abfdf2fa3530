"""`seqkit serve`: the real server on localhost with a real HTTP client, its batching, its refusals, the
command line around it, and the page in headless Chromium."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from seqkit import api
from seqkit.cli.main import main
from seqkit.serve.app import build_app
from seqkit.serve.batcher import Batcher, QueueFull, Timeout
from seqkit.serve.limits import Limits
from seqkit.serve.models import Served, load_models
from seqkit.serve.server import Server, bind

LIMITS = Limits(max_sentences=8, max_chars=400, timeout=60, batch_wait_ms=50)
WORDS = "the a cat dog sat mat on big red house".split()
SENTENCES = ["uno dos gato", "tres perro", "el gato come", "casa roja", "verde grande", "el perro ve",
             "dos dos", ""]


@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory) -> Path:
    """Tiny word2vec text vectors for /wmd."""
    rows = np.random.default_rng(0).normal(size=(len(WORDS), 4))
    path = tmp_path_factory.mktemp("vectors") / "tiny.w2v.txt"
    path.write_text(f"{len(WORDS)} 4\n" + "".join(f"{w} {' '.join(f'{x:.5f}' for x in row)}\n"
                                                   for w, row in zip(WORDS, rows)), encoding="utf-8")
    return path


@contextmanager
def serving(app) -> Iterator[str]:
    """The URL of `app` served by the real server on a free port, in a thread of this process."""
    server = Server(app, bind("127.0.0.1", 0), announce=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield server.url
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def url(nmt_run, char_run, classifier_run, vectors_file):
    """The server with a run of each kind and the vectors. char_run and classifier_run are both folders
    named `run`: NAME=DIR tells them apart."""
    models = load_models([str(nmt_run), f"lm={char_run}", f"sentiment={classifier_run}"],
                         vectors=str(vectors_file))
    with serving(build_app(models, LIMITS)) as url:
        yield url


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


def calls(client: httpx.Client, name: str) -> int:
    return next(m["calls"] for m in client.get("/health").json()["models"] if m["name"] == name)


def test_concurrent_requests_are_batched_and_answer_as_the_api(client, nmt_run, char_run, classifier_run):
    sample = dict(prime="ROMEO:", length=40, temperature=0.8, top_k=5, seed=3, num_samples=2)
    texts = ["a great movie", "boring plot and awful actor", "i love it"]
    before = calls(client, "nmt")
    with ThreadPoolExecutor(16) as pool:
        translations = [pool.submit(client.post, "/translate", json={"sentences": [s]}) for s in SENTENCES]
        samples = pool.submit(client.post, "/sample", json=sample | {"model": "lm"})
        labels = pool.submit(client.post, "/classify", json={"texts": texts})
    expected_translations = api.translate(nmt_run, SENTENCES)
    assert [f.result().json()["translations"][0] for f in translations] == expected_translations
    assert calls(client, "nmt") - before < len(SENTENCES)  # the batcher merged requests
    assert samples.result().json()["samples"] == api.sample(char_run, **sample)
    expected = api.classify(classifier_run, texts)
    answer = labels.result().json()
    assert answer["labels"] == [r["label"] for r in expected]
    assert answer["probabilities"] == [r["probs"] for r in expected]
    assert client.post("/translate", json={"sentences": SENTENCES[:2]}).json() == {
        "translations": expected_translations[:2], "model": "nmt"}


def test_wmd_and_health(client, vectors_file):
    from seqkit.embeddings.vectors import load_vectors
    from seqkit.metrics.wmd import WordMover

    pairs = [["the cat sat on the mat", "a dog sat on a big mat"], ["cat", "zebra"]]
    answer = client.post("/wmd", json={"pairs": pairs}).json()
    assert answer["distances"] == [WordMover(load_vectors(vectors_file)).distance(*pairs[0]), None]
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["limits"]["max_sentences"] == 8
    assert [(m["name"], m["kind"], m["endpoint"]) for m in health["models"]] == [
        ("nmt", "nmt", "/translate"), ("lm", "char-rnn", "/sample"),
        ("sentiment", "classifier", "/classify"), ("tiny.w2v.txt", "wmd", "/wmd")]


BAD = [  # (endpoint, body: JSON value or raw bytes, status, words of the message)
    ("/translate", b'{"sentences": ["uno"', 400, "malformed JSON"),
    ("/translate", b"", 422, "body"),
    ("/translate", {"sentences": "uno dos"}, 422, "sentences: Input should be a valid list"),
    ("/translate", {"sentences": [1]}, 422, "sentences.0"),
    ("/translate", {"sentences": ["uno"], "beam": 0}, 422, "beam"),
    ("/translate", {"sentences": ["uno"], "bean": 3}, 422, "bean: Extra inputs"),
    ("/translate", {"sentences": ["uno"] * 9}, 413, "--max-sentences"),
    ("/translate", {"sentences": ["uno " * 101]}, 413, "--max-chars"),
    ("/translate", {"sentences": ["x" * 70_000]}, 413, "request body"),
    ("/translate", {"sentences": ["uno"], "model": "nope"}, 404, "no nmt model named 'nope'; loaded: nmt"),
    ("/sample", {"prime": "a", "length": 500}, 413, "--max-chars"),
    ("/sample", {"prime": "\u2603", "length": 5}, 422, "prime"),
    ("/classify", {"texts": ["good", " "]}, 422, "text 2: the text is empty"),
    ("/wmd", {"pairs": [["only one"]]}, 422, "pairs.0"),
    ("/nowhere", {}, 404, "no endpoint /nowhere; this server has /classify, /health, /sample"),
]


@pytest.mark.parametrize("path,body,status,message", BAD,
                         ids=[f"{b[0]}-{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_requests_get_a_json_4xx_and_the_server_keeps_serving(client, path, body, status, message):
    sent = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = client.post(path, headers={"Content-Type": "application/json"}, **sent)
    assert response.status_code == status
    assert message in response.json()["error"] and "Traceback" not in response.text
    assert client.post("/translate", json={"sentences": ["uno dos gato"]}).status_code == 200


def test_openapi_docs_and_page(client):
    schema = client.get("/openapi.json").json()
    assert {"/translate", "/sample", "/classify", "/wmd", "/health"} <= set(schema["paths"])
    fields = schema["components"]["schemas"]["TranslateRequest"]["properties"]
    assert fields["beam"]["description"].startswith("beam width")  # the field docs reach the schema
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html") and "<textarea" in page.text


def test_unexpected_errors_timeouts_and_non_json_bodies_are_json_too():
    """With a fake model, no TensorFlow: a bug is a 500 without its traceback, a slow call a 504."""
    def model(key, texts: list) -> list:
        if texts == ["slow"]:
            time.sleep(0.5)
        raise RuntimeError("internals")

    app = build_app([Served("fake", "classifier", model, 4)], Limits(timeout=0.2))
    with serving(app) as url, httpx.Client(base_url=url) as c:
        for body, status, words in (({"texts": ["a"]}, 500, "internal error (RuntimeError)"),
                                    ({"texts": ["slow"]}, 504, "no answer within 0.2 s")):
            response = c.post("/classify", json=body)
            assert response.status_code == status and words in response.json()["error"]
            assert "internals" not in response.text
        form = c.post("/classify", content=b'{"texts": ["a"]}', headers={"content-type": "text/plain"})
        assert form.status_code == 415 and "Content-Type: application/json" in form.json()["error"]
        assert c.get("/classify").json() == {"error": "Method Not Allowed"}


def run_batcher(*jobs: tuple, **options) -> tuple[list, Batcher]:
    """Submit `jobs` (key, items) together to a Batcher whose model echoes items and fails on 'bad'."""

    def echo(key, items):
        if "bad" in items:
            raise ValueError("bad item")
        return [f"{key}:{item}" for item in items]

    async def go():
        batcher = Batcher(echo, **({"max_batch": 4, "wait": 0.05, "max_queue": 10, "timeout": 5} | options))
        batcher.start()
        out = await asyncio.gather(*(batcher.submit(*job) for job in jobs), return_exceptions=True)
        await batcher.stop()
        return out, batcher

    return asyncio.run(go())


def test_batcher_merges_same_key_requests_up_to_the_batch_and_isolates_failures():
    out, batcher = run_batcher(("a", [1, 2]), ("a", [3]), ("b", [4]), ("a", [5, 6]), ("a", ["bad"]))
    assert out[:4] == [["a:1", "a:2"], ["a:3"], ["b:4"], ["a:5", "a:6"]]
    assert isinstance(out[4], ValueError)
    # [1, 2, 3] + ["bad"] fill the first call (4 items), which fails and is retried job by job (3 calls);
    # then "b" alone, then [5, 6]
    assert batcher.calls == 6 and batcher.largest == 4 and batcher.requests == 4


def test_batcher_refuses_past_its_queue_and_times_out():
    out, _ = run_batcher(*[("a", [i]) for i in range(3)], max_queue=2)
    assert isinstance(out[2], QueueFull) and out[:2] == [["a:0"], ["a:1"]]
    out, _ = run_batcher(("a", [1]), wait=1.0, timeout=0.1)
    assert isinstance(out[0], Timeout)


def one_line_error(capsys, argv: list[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("seqkit serve: error:")


def test_command_line_errors(capsys, tmp_path, char_run, classifier_run):
    one_line_error(capsys, ["serve", str(tmp_path / "nope")], "not a seqkit run directory")
    one_line_error(capsys, ["serve"], "give at least one run directory")
    one_line_error(capsys, ["serve", str(char_run), str(classifier_run)], "name them apart with NAME=DIR")
    one_line_error(capsys, ["serve", str(classifier_run), "--vectors", str(tmp_path / "v.txt")],
                   "no such vectors file")
    one_line_error(capsys, ["serve", str(classifier_run), "--max-chars", "0"], "max_chars must be at least 1")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        one_line_error(capsys, ["serve", str(classifier_run), "--port", port],
                       f"127.0.0.1:{port} is already in use")


def test_the_command_prints_its_url_serves_and_stops_on_ctrl_c(classifier_run):
    """`seqkit serve` in a process of its own: it says where it listens, answers, and Ctrl-C (SIGINT)
    stops it with exit 130 and one line."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}"
    seqkit = str(Path(sys.executable).parent / "seqkit")
    server = subprocess.Popen([seqkit, "serve", str(classifier_run), "--port", url.rsplit(":", 1)[1]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        listening = server.stdout.readline()  # printed once the application has started
        answer = httpx.post(url + "/classify", json={"texts": ["i love it"]}, timeout=60).json()
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert listening.startswith(f"seqkit serve: listening on {url} ") and out == ""
    assert answer["labels"] == ["positive"]
    assert server.returncode == 130 and err == "seqkit serve: interrupted\n", err


@pytest.mark.slow
def test_the_page_translates_in_headless_chromium(url, client):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        page.goto(url + "/")
        page.wait_for_selector("#model option", state="attached")  # filled from /health
        page.fill("#text", "uno dos gato")
        page.click("#run")
        expected = client.post("/translate", json={"sentences": ["uno dos gato"]}).json()["translations"][0]
        page.wait_for_function(f"document.getElementById('output').textContent === {expected!r}",
                               timeout=30_000)
        browser.close()

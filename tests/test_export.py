"""SavedModel export: the graph tokenizers equal seqkit's Python ones, and a process with TensorFlow alone
(and tensorflow-text) loads each kind of run and gives seqkit's own outputs; the user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from seqkit import api
from seqkit.cli.main import main
from seqkit.data.embedded import embedded_text
from seqkit.data.tokenize import tokenize
from seqkit.export import tokenizers

TRICKY = [
    'He said, "I can\'t go--not today." Then: (roughly) 3,36 euros... for $3.88!', "'Tis the season",
    "We gotta go, wanna come? Gimme that; I cannot.", "She's here ''quoted'' and <tag> [x] {y} 50% #1 @me",
    "Café naïve ÉCOLE über, Straße 42_a don't WON'T they'll I'd we've", "end with a quote.'",
    "'twas brillig, and the slithy toves.", "x:y a:1, b , c. d.) e.\"", "  spaces   everywhere  ",
    "", "more'n lemme d'ye gonna", "It's 5:30 -- ok? yes! no!! 'quoted' word'", "«guillemets» ¿qué? ¡sí!",
]


def graph_tokens(texts: list[str], scheme: str, lowercase: bool) -> list[list[str]]:
    out = tokenizers.tokenize(tf.constant(texts), scheme, lowercase).to_list()
    return [[t.decode("utf-8") for t in row] for row in out]


@pytest.mark.parametrize("scheme", ["treebank", "word", "whitespace"])
def test_graph_tokenizers_equal_seqkits(scheme) -> None:
    lines = TRICKY + [line for line in embedded_text()[:200_000].split("\n") if line.strip()][::10]
    for lowercase in (True, False):
        assert graph_tokens(lines, scheme, lowercase) == [tokenize(t, scheme, lowercase) for t in lines]


def test_the_tweet_tokenizer_cannot_be_exported() -> None:
    with pytest.raises(Exception, match="tweet.*no graph version"):
        tokenizers.tokenize(tf.constant(["a"]), "tweet", True)


# Run in a fresh interpreter: TensorFlow and tensorflow-text only, no seqkit.
LOADER = """
import json, sys
import tensorflow as tf
import tensorflow_text  # noqa: F401  (sentencepiece ops)
d = json.loads(sys.argv[1])
char = tf.saved_model.load(d["char"])
out = {"samples": [char.generate(tf.constant(p), n, t, s).numpy().decode() for p, n, t, s in d["primes"]]}
clf = tf.saved_model.load(d["classifier"]).signatures["classify"](texts=tf.constant(d["texts"]))
out["labels"] = [x.decode() for x in clf["labels"].numpy()]
out["probabilities"] = clf["probabilities"].numpy().tolist()
words = tf.saved_model.load(d["nmt"])
sp = tf.saved_model.load(d["nmt_sp"])
out["greedy"] = [x.decode() for x in words.translate(tf.constant(d["lines"])).numpy()]
out["beam"] = [x.decode() for x in sp.translate(tf.constant(d["lines"])).numpy()]
out["beam_alpha0"] = [x.decode() for x in sp.translate(tf.constant(d["lines"]), 2, 0.0).numpy()]
out["sp_greedy"] = [x.decode() for x in sp.translate(tf.constant(d["lines"]), beam=1).numpy()]
try:
    sp.translate(tf.constant(d["lines"]), 3)
except tf.errors.InvalidArgumentError as e:
    out["too_wide"] = "beam must be in [1, 2]" in e.message
out["seqkit_imported"] = any(m.startswith("seqkit") for m in sys.modules)
print(json.dumps(out))
"""


def test_saved_models_give_seqkits_outputs_without_seqkit(char_run, classifier_run, nmt_run, nmt_sp_run,
                                                          tmp_path, capsys) -> None:
    paths = {name: str(tmp_path / name) for name in ("char", "classifier", "nmt", "nmt_sp")}
    for name, run, beam in (("char", char_run, 1), ("classifier", classifier_run, 1), ("nmt", nmt_run, 1),
                            ("nmt_sp", nmt_sp_run, 2)):
        assert main(["export", str(run), "--saved-model", paths[name], "--max-beam", str(beam)]) == 0
        assert (Path(paths[name]) / "assets.extra" / "config.yaml").exists()
    primes = [["The ", 40, 0.8, 3], ["", 25, 1.0, 0], ["KING", 30, 0.0, 0]]
    texts = ["i love the movie", "awful plot!", "the actor was great, today"]
    lines = ["uno dos gato", "", "el perro come casa roja grande", "tres verde"]
    job = dict(paths, primes=primes, texts=texts, lines=lines)
    loader = subprocess.Popen([sys.executable, "-c", LOADER, json.dumps(job)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:  # seqkit's own outputs, computed while the loader starts TensorFlow and loads the exports
        samples = [api.sample(char_run, n, t, prime=p, seed=s)[0] for p, n, t, s in primes]
        expected = api.classify(classifier_run, texts)
        translations = {"greedy": api.translate(nmt_run, lines, beam=1),
                        "beam": api.translate(nmt_sp_run, lines, beam=2),
                        "beam_alpha0": api.translate(nmt_sp_run, lines, beam=2, alpha=0.0),
                        "sp_greedy": api.translate(nmt_sp_run, lines, beam=1)}
        stdout, stderr = loader.communicate(timeout=300)
    finally:
        loader.kill()
    assert loader.returncode == 0, stderr[-3000:]
    got = json.loads(stdout.strip().splitlines()[-1])
    assert not got["seqkit_imported"] and got["too_wide"]
    assert got["samples"] == samples
    assert got["labels"] == [e["label"] for e in expected]
    classes = list(expected[0]["probs"])
    np.testing.assert_allclose(got["probabilities"], [[e["probs"][c] for c in classes] for e in expected],
                               atol=1e-6)
    for name, translated in translations.items():
        assert got[name] == translated, name
    assert got["greedy"][0] == "one two cat" and got["greedy"][1] == ""


def test_export_errors_lose_nothing(classifier_run, tmp_path, capsys) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep").write_text("mine")
    assert main(["export", str(classifier_run), "--saved-model", str(out)]) == 2
    assert "exists; give --overwrite" in capsys.readouterr().err and (out / "keep").read_text() == "mine"
    assert main(["export", str(classifier_run), "--saved-model", str(tmp_path / "no" / "model")]) == 2
    assert "does not exist" in capsys.readouterr().err
    tweet = tmp_path / "tweet_run"  # a run whose tokenizer has no graph form
    tweet.mkdir()
    for f in classifier_run.iterdir():
        if f.is_file():
            (tweet / f.name).write_bytes(f.read_bytes())
    (tweet / "checkpoints").mkdir()
    for f in (classifier_run / "checkpoints").iterdir():
        (tweet / "checkpoints" / f.name).write_bytes(f.read_bytes())
    config = tweet / "config.yaml"
    config.write_text(config.read_text().replace("tokenizer: treebank", "tokenizer: tweet"))
    assert main(["export", str(tweet), "--saved-model", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'tweet' tokenizer has no graph version" in err
    assert not (tmp_path / "t").exists() and not list(tmp_path.glob(".t.*"))

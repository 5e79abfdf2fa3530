"""--precision: mixed_bfloat16 and mixed_float16 train to float32's losses with 16-bit math on float32
weights and float32 logits; float16 scales its loss, and resumes with its loss scale; mixed runs sample
and classify in float32; and no run's dtype policy leaks into the next one in the same process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from seqkit.api import classify, evaluate, train_char_rnn, train_cnn_sentiment
from seqkit.checkpoints import CheckpointDir
from seqkit.config import CharRNNConfig, CNNSentimentConfig, NMTConfig
from seqkit.data.vocab import Vocab
from seqkit.decoding.engine import decode
from seqkit.decoding.strategies import BeamSearch
from seqkit.inference.sampler import load_language_model
from seqkit.models import build_char_model
from seqkit.models.naming import variable_names
from seqkit.models.seq2seq import build_seq2seq
from seqkit.training.nmt_task import masked_nll
from seqkit.training.trainer import Trainer, precision

COMPUTE = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
# The largest relative gaps to float32 measured on CPU: of the training losses of the 10 steps of the tiny
# LSTM LM and CNN below (seeds 1-3), bfloat16 1.0e-3 (LM) and 2.3e-3 (CNN), float16 4e-5 and 5e-4; of the
# logits of one batch of the other models on float32's weights, bfloat16 1.4e-2, float16 1.5e-3. The
# tolerances leave a margin of 3 or more; a model the policy missed shows in the dtype checks, and in its
# numbers being float32's exactly.
TOLERANCE = {"mixed_bfloat16": 1e-2, "mixed_float16": 2e-3}
LOGITS_TOLERANCE = {"mixed_bfloat16": 5e-2, "mixed_float16": 5e-3}
ORDER = ("float32", "mixed_bfloat16", "mixed_float16", "float32")  # the last: after two mixed runs
WORDS = {"positive": ["great", "love", "fine"], "negative": ["awful", "hate", "dull"]}


def train_losses(run: str | Path) -> list[float]:
    return [r["loss"] for r in map(json.loads, open(Path(run) / "metrics.jsonl")) if r["split"] == "train"]


def relative_gap(a: list[float], b: list[float]) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def lm_config(root: Path, name: str, policy: str, **overrides) -> CharRNNConfig:
    values = dict(run=str(root / name), data=str(root / "text.txt"), cell="lstm", units=32, embedding_dim=16,
                  batch_size=8, seq_len=20, max_steps=10, eval_every=0, log_every=1, eval_batch_size=64,
                  seed=1, learning_rate=5e-3, precision=policy)
    return CharRNNConfig(**(values | overrides))


def cnn_config(root: Path, name: str, policy: str) -> CNNSentimentConfig:
    # no dropout: its masks are drawn in the compute dtype, so they differ between precisions
    return CNNSentimentConfig(run=str(root / name), train=str(root / "train.csv"),
                              valid=str(root / "val.csv"), maps=16, embedding_dim=16, widths="2,3",
                              batch_size=16, dropout=0.0, learning_rate=5e-3, max_steps=10, epochs=0,
                              min_steps=0, eval_every=0, log_every=1, seed=1, precision=policy)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shakespeare_slice) -> dict:
    """{(family, precision or 'float32 after'): (run directory, its Trainer)}, trained in ORDER."""
    root = tmp_path_factory.mktemp("precision")
    (root / "text.txt").write_text(shakespeare_slice[:10_000], encoding="utf-8")
    rng = np.random.default_rng(1)
    filler = ["the", "a", "film", "was", "it", "plot", "and"]
    for name, n in (("train.csv", 160), ("val.csv", 40)):
        rows = [f"{label},{' '.join([*rng.choice(filler, 4), rng.choice(WORDS[label])])}"
                for label in ("positive", "negative") * (n // 2)]
        (root / name).write_text("label,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    trainers: list[Trainer] = []
    real_init = Trainer.__init__

    def spy(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        trainers.append(self)

    runs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Trainer, "__init__", spy)
        for i, policy in enumerate(ORDER):
            key = "float32 after" if i == len(ORDER) - 1 else policy
            for family, train, make in (("lm", train_char_rnn, lm_config), ("cnn", train_cnn_sentiment,
                                                                            cnn_config)):
                cfg = make(root, f"{family}-{i}", policy)
                train(cfg)
                runs[family, key] = (Path(cfg.run), trainers[-1])
    return runs


@pytest.mark.parametrize("family", ["lm", "cnn"])
@pytest.mark.parametrize("policy", list(COMPUTE))
def test_mixed_losses_stay_near_float32s(trained, family, policy) -> None:
    mixed, full = train_losses(trained[family, policy][0]), train_losses(trained[family, "float32"][0])
    assert len(mixed) == len(full) == 10
    assert 0 < relative_gap(mixed, full) < TOLERANCE[policy]


@pytest.mark.parametrize("family", ["lm", "cnn"])
@pytest.mark.parametrize("policy", list(COMPUTE))
def test_mixed_models_compute_in_16_bits_on_float32_weights(trained, family, policy) -> None:
    trainer = trained[family, policy][1]
    model = trainer.task.model
    layers = [layer for layer in model._flatten_layers() if layer.weights]
    assert {layer.compute_dtype for layer in layers} == {COMPUTE[policy]}
    assert {v.dtype for v in model.weights} == {"float32"}
    if family == "lm":
        x = np.ones((2, 5), np.int32)
        logits, state = model(x, model.fresh_state(2), targets=x)
        assert {s.dtype for s in state} == {tf.as_dtype(COMPUTE[policy])}
    else:
        logits = model(np.ones((2, 5), np.int32))
    assert logits.dtype == tf.float32  # softmax and cross-entropy in float32
    loss_scaled = isinstance(trainer.optimizer, keras.optimizers.LossScaleOptimizer)
    assert loss_scaled == (policy == "mixed_float16")  # bfloat16 has float32's range: no loss scaling


@pytest.mark.parametrize("family", ["lm", "cnn"])
def test_no_policy_leaks_into_the_next_run(trained, family) -> None:
    before, after = trained[family, "float32"], trained[family, "float32 after"]
    assert train_losses(after[0]) == train_losses(before[0])
    assert {layer.compute_dtype for layer in after[1].task.model._flatten_layers()} == {"float32"}
    assert not isinstance(after[1].optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.parametrize("policy", list(COMPUTE))
def test_mixed_checkpoints_load_for_sampling_and_classifying_in_float32(trained, policy) -> None:
    lm_run, cnn_run = trained["lm", policy][0], trained["cnn", policy][0]
    _, _, model = load_language_model(lm_run)  # what `seqkit sample` and `evaluate` load
    assert {layer.compute_dtype for layer in model._flatten_layers()} == {"float32"}
    # the float32 model scores the validation text as the mixed one did at the end of training
    text = (lm_run.parent / "text.txt").read_text(encoding="utf-8")
    (lm_run.parent / "valid.txt").write_text(text[int(len(text) * 0.9):], encoding="utf-8")
    full = evaluate(lm_run, lm_run.parent / "valid.txt", batch_size=64, seq_len=256)["loss"]
    mixed = [r["loss"] for r in map(json.loads, open(lm_run / "metrics.jsonl")) if r["split"] == "valid"]
    assert relative_gap([full], mixed) < TOLERANCE[policy]
    (result,) = classify(cnn_run, ["i love it"])
    assert result["label"] in WORDS and sum(result["probs"].values()) == pytest.approx(1.0, abs=1e-5)


def loss_scale(path: Path) -> dict[str, float]:
    with h5py.File(path, "r") as f:
        return {name: float(f[f"optimizer/loss_scale/{name}"][()])
                for name in ("dynamic_scale", "step_counter")}


def test_float16_resume_restores_the_loss_scale_and_other_precisions_resume_too(trained, tmp_path) -> None:
    straight = trained["lm", "mixed_float16"][0]
    part = lm_config(straight.parent, "part", "mixed_float16", max_steps=5, run=str(tmp_path / "part"))
    train_char_rnn(part)
    assert loss_scale(CheckpointDir(part.run).latest()) == {"dynamic_scale": 2.0 ** 15, "step_counter": 5}
    shutil.copytree(part.run, tmp_path / "part-float32")
    part.max_steps = 10
    train_char_rnn(part, resume=True)
    np.testing.assert_allclose(train_losses(part.run), train_losses(straight), rtol=0, atol=1e-6)
    assert loss_scale(CheckpointDir(part.run).latest()) == loss_scale(CheckpointDir(straight).latest())
    # the loss scale is mixed_float16's alone: a float32 resume drops it, and its weights and Adam go on
    other = lm_config(straight.parent, "part", "float32", run=str(tmp_path / "part-float32"))
    train_char_rnn(other, resume=True)
    assert np.isfinite(train_losses(other.run)).all() and len(train_losses(other.run)) == 10


def logits_gap(mixed: tf.Tensor, full: tf.Tensor) -> float:
    """The largest difference of two models' logits, relative to the largest float32 logit."""
    assert mixed.dtype == full.dtype == tf.float32
    return float(tf.reduce_max(tf.abs(mixed - full)) / tf.reduce_max(tf.abs(full)))


def built_both_ways(build, policy: str) -> tuple[keras.Model, keras.Model]:
    """(model built under `policy`, float32 model) with the same float32 weights."""
    keras.utils.set_random_seed(0)
    full = build()
    with precision(policy):
        mixed = build()
    theirs = variable_names(full)
    for name, v in variable_names(mixed).items():
        v.assign(theirs[name])
    assert {layer.compute_dtype for layer in mixed._flatten_layers() if layer.weights} == {COMPUTE[policy]}
    assert keras.config.dtype_policy().name == "float32"
    return mixed, full


@pytest.mark.parametrize("cell", ["gru", "rnn1", "rnn2", "transformer"])
@pytest.mark.parametrize("policy", list(COMPUTE))
def test_every_char_model_runs_and_steps_under_a_mixed_policy(cell, policy) -> None:
    cfg = CharRNNConfig(cell=cell, units=16, embedding_dim=8, layers=1, model_dim=16, heads=2, ff_dim=32,
                        seq_len=8)
    mixed, full = built_both_ways(lambda: build_char_model(cfg, 12), policy)
    x = np.random.default_rng(0).integers(0, 12, (3, 8)).astype(np.int32)
    logits = [m(x[:, :-1], m.fresh_state(3), targets=x[:, 1:])[0] for m in (mixed, full)]
    assert 0 < logits_gap(*logits) < LOGITS_TOLERANCE[policy]
    assert mixed.step(x[:, 0], mixed.initial_state(3))[0].dtype == tf.float32


def nmt_models(model: str, policy: str) -> tuple[keras.Model, keras.Model]:
    cfg = NMTConfig(model=model, src="s", tgt="t", units=16, embedding_dim=8, model_dim=16, heads=2,
                    ff_dim=32, layers=1)
    return built_both_ways(lambda: build_seq2seq(cfg, 20, 20), policy)


SRC = np.pad(np.random.default_rng(0).integers(4, 20, (4, 6)), [[0, 0], [0, 2]]).astype(np.int32)  # padded
TGT = np.random.default_rng(1).integers(4, 20, (4, 7)).astype(np.int32)


@pytest.mark.parametrize("model", ["rnn", "transformer"])
@pytest.mark.parametrize("policy", list(COMPUTE))
def test_nmt_models_score_and_search_under_a_mixed_policy(model, policy) -> None:
    mixed, full = nmt_models(model, policy)
    assert 0 < logits_gap(mixed(SRC, TGT)[0], full(SRC, TGT)[0]) < LOGITS_TOLERANCE[policy]
    assert np.isfinite(float(masked_nll(mixed, SRC, TGT[:, :-1], TGT[:, 1:])[0]))
    if policy != "mixed_float16":
        return
    # float16 is where masked scores overflow (-1e9 is -inf) and where attention weights must be added up
    # in float32 (the coverage penalty)
    context, state = mixed.encode(SRC)
    bos = tf.fill([4], Vocab.bos_id)
    assert mixed.step(bos, state, context)[0].dtype == tf.float32
    found = decode(mixed.step, state, context, bos, 5, BeamSearch(3, 0.6, beta=0.2), eos_id=Vocab.eos_id,
                   source_mask=tf.not_equal(SRC, 0))
    assert np.isfinite(found.scores.numpy()).all()

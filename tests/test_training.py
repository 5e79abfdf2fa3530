"""The trainer on real text: loss falls, resume is exact, Ctrl-C and NaN are handled, seeds reproduce."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from seqkit.api import train_char_rnn
from seqkit.checkpoints import CheckpointDir
from seqkit.data.alphabet import Alphabet
from seqkit.errors import CheckpointError, TrainingError
from seqkit.inference.sampler import load_language_model
from seqkit.metrics.perplexity import lm_nats
from seqkit.models import build_char_model
from seqkit.training.char_lm_task import CharLMTask, load_texts
from seqkit.training.trainer import Trainer


def train_losses(run: str) -> dict[int, float]:
    records = [json.loads(line) for line in open(Path(run) / "metrics.jsonl")]
    return {r["step"]: r["loss"] for r in records if r["split"] == "train"}


def test_loss_falls_on_real_text(tiny_cfg) -> None:
    cfg = tiny_cfg(max_steps=80, eval_every=40, learning_rate=1e-2)
    first = train_char_rnn(tiny_cfg(run=cfg.run + "0", max_steps=1, eval_every=0))
    last = train_char_rnn(cfg)
    losses = train_losses(cfg.run)
    assert np.mean([losses[s] for s in range(71, 81)]) < np.mean([losses[s] for s in range(1, 11)]) - 0.5
    assert last["loss"] < first["loss"] - 0.5  # validation nats/char, whole held-out split
    assert last["bpc"] == pytest.approx(last["loss"] / math.log(2))


@pytest.mark.parametrize("cell", ["lstm", "rnn2", "transformer"])
def test_resume_equals_uninterrupted_training(tiny_cfg, tmp_path, cell) -> None:
    model = dict(cell=cell, dropout=0.3, layers=2, model_dim=32, heads=2, ff_dim=64)  # sizes: transformer's
    straight = tiny_cfg(run=str(tmp_path / "straight"), **model)
    train_char_rnn(straight)
    part = tiny_cfg(run=str(tmp_path / "resumed"), **model, max_steps=10)
    train_char_rnn(part)
    part.max_steps = 20
    train_char_rnn(part, resume=True)
    a, b = train_losses(straight.run), train_losses(part.run)
    assert sorted(a) == sorted(b) == list(range(1, 21))
    np.testing.assert_allclose([b[s] for s in range(11, 21)], [a[s] for s in range(11, 21)], atol=1e-6)


def test_same_seed_same_numbers(tiny_cfg, tmp_path) -> None:
    a = train_char_rnn(tiny_cfg(run=str(tmp_path / "a"), max_steps=5, eval_every=0))
    b = train_char_rnn(tiny_cfg(run=str(tmp_path / "b"), max_steps=5, eval_every=0))
    c = train_char_rnn(tiny_cfg(run=str(tmp_path / "c"), max_steps=5, eval_every=0, seed=2))
    assert a["loss"] == b["loss"] and a["loss"] != c["loss"]


def test_ctrl_c_saves_and_resume_continues(tiny_cfg, monkeypatch) -> None:
    cfg = tiny_cfg(eval_every=0)
    real_step = Trainer.train_step

    def interrupted(self, batch):
        if self.step == 7:
            raise KeyboardInterrupt
        return real_step(self, batch)

    monkeypatch.setattr(Trainer, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_char_rnn(cfg)
    assert CheckpointDir(cfg.run).steps() == [7]
    monkeypatch.setattr(Trainer, "train_step", real_step)
    assert train_char_rnn(cfg, resume=True)["step"] == 20


def test_nan_loss_stops_with_step_and_last_good_checkpoint(tiny_cfg) -> None:
    cfg = tiny_cfg(cell="rnn1", activation="relu", optimizer="sgd", learning_rate=1e30, clip_norm=0,
                   eval_every=1, max_steps=50)
    with pytest.raises(TrainingError, match=r"the loss became (nan|inf) at step \d+; last good checkpoint: "):
        train_char_rnn(cfg)


def test_existing_run_is_not_clobbered(tiny_cfg) -> None:
    cfg = tiny_cfg(max_steps=2, eval_every=0)
    train_char_rnn(cfg)
    with pytest.raises(CheckpointError, match="--resume"):
        train_char_rnn(cfg)
    assert train_char_rnn(cfg, overwrite=True)["step"] == 2


def test_keeps_last_n_and_the_best(tiny_cfg) -> None:
    cfg = tiny_cfg(max_steps=12, eval_every=2, keep=2)
    train_char_rnn(cfg)
    ckpts = CheckpointDir(cfg.run)
    best = ckpts.best()["step"]
    assert set(ckpts.steps()) == {10, 12} | {best}


def test_staircase_exponential_schedule_and_tensorboard(tiny_cfg) -> None:
    cfg = tiny_cfg(schedule="exponential", decay_steps=4, decay_rate=0.5, max_steps=10, eval_every=5)
    train_char_rnn(cfg)
    records = [json.loads(line) for line in open(Path(cfg.run) / "metrics.jsonl")]
    lrs = {r["step"]: r["lr"] for r in records if r["split"] == "train"}
    # the rate in force after `step` updates: lr0 * 0.5 ** floor(step / 4)
    assert lrs == pytest.approx({s: 5e-3 * 0.5 ** (s // 4) for s in range(1, 11)})
    assert list((Path(cfg.run) / "logs").glob("events.out.tfevents.*"))
    assert [r["step"] for r in records if r["split"] == "valid"] == [5, 10]


def test_reset_streams_start_from_the_zero_state(tiny_cfg) -> None:
    cfg = tiny_cfg(batch_size=2)
    text = "the cat sat on the mat, the end.\n" * 40
    alphabet = Alphabet.from_text(text)
    ids = alphabet.encode(text)
    model = build_char_model(cfg, len(alphabet))
    task = CharLMTask(cfg, alphabet, ids, ids, model)
    x, y, _ = next(task.batches())
    warm = tuple(np.full(s.shape, 0.5, np.float32) for s in task.initial_carry())
    keep = np.array([0.0, 1.0], np.float32)
    _, _, state = task.loss((x, y, keep), warm, False)
    _, zero_state = model(x, model.initial_state(2))
    _, warm_state = model(x, warm)
    np.testing.assert_allclose(state[0][0], zero_state[0][0], atol=1e-6)  # stream 0 was reset
    np.testing.assert_allclose(state[0][1], warm_state[0][1], atol=1e-6)  # stream 1 carried its state


def test_narrow_ids_score_as_int64_ids(tiny_cfg, shakespeare_slice) -> None:
    cfg = tiny_cfg()
    alphabet = Alphabet.from_text(shakespeare_slice)
    ids = alphabet.encode(shakespeare_slice[:3001])
    assert ids.dtype == np.uint8
    model = build_char_model(cfg, len(alphabet))
    narrow = lm_nats(model, ids, 8, 64)
    assert narrow == lm_nats(model, ids.astype(np.int64), 8, 64)
    assert narrow["chars"] == 3000  # 8 streams of 375 targets


def test_valid_chars_caps_what_validation_scores(tiny_cfg) -> None:
    cfg = tiny_cfg(max_steps=3, eval_every=0, valid_chars=2500)
    last = train_char_rnn(cfg)
    _, valid = load_texts(cfg)  # the held-out 6,000 characters
    _, alphabet, model = load_language_model(cfg.run, "latest")
    ids = alphabet.encode(valid)
    capped = lm_nats(model, ids[:2500], cfg.eval_batch_size, 256)
    assert (last["loss"], last["bpc"]) == (capped["loss"], capped["bpc"])
    records = [json.loads(line) for line in open(Path(cfg.run) / "metrics.jsonl")]
    assert [r["loss"] for r in records if r["split"] == "valid"] == [capped["loss"]]
    assert len(valid) > 2500 and lm_nats(model, ids, cfg.eval_batch_size, 256)["loss"] != capped["loss"]

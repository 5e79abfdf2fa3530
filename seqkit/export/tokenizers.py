"""Text <-> ids inside a TensorFlow graph, equal to seqkit's Python tokenizers, for SavedModels.

A SavedModel's signatures take and return strings, so everything that turns text into ids (and back)
must be graph ops: the alphabet and word vocabularies become lookup tables, sentencepiece runs through
`tensorflow-text`, and the classifier's word tokenizers are rewritten as RE2 substitutions (nltk's
Treebank rules, the `word` regex). `tests/test_export.py` checks them against the Python ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from seqkit.data.vocab import SPECIALS, Vocab
from seqkit.errors import ConfigError

# nltk's TreebankWordTokenizer (nltk.tokenize.treebank), in order, as RE2 patterns: RE2 has no
# look-ahead, so `wan(na)(?=\s)` keeps its white space in a group, and `(?#X)` comments are dropped.
# Python's `$` also matches before a final newline; a text here is one line, so that never differs.
TREEBANK = [
    (r'^"', "``"), (r"(``)", r" \1 "), (r"([ \(\[{<])(\"|\'{2})", r"\1 `` "),  # starting quotes
    (r"([:,])([^\d])", r" \1 \2"), (r"([:,])$", r" \1 "), (r"\.\.\.", " ... "), (r"[;@#$%&]", r" \0 "),
    (r"([^\.])(\.)([\]\)}>\"\']*)\s*$", r"\1 \2\3 "), (r"[?!]", r" \0 "), (r"([^'])' ", r"\1 ' "),
    (r"[\]\[\(\)\{\}\<\>]", r" \0 "), (r"--", " -- "),  # brackets, double dashes
]
TREEBANK_ENDING = [
    (r"''", " '' "), (r'"', " '' "), (r"([^' ])('[sS]|'[mM]|'[dD]|') ", r"\1 \2 "),
    (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r"\1 \2 "),
    *[(rf"(?i)\b({a})({b})\b", r" \1 \2 ") for a, b in
      (("can", "not"), ("d", "'ye"), ("gim", "me"), ("gon", "na"), ("got", "ta"), ("lem", "me"),
       ("more", "'n"))],
    (r"(?i)\b(wan)(na)(\s)", r" \1 \2 \3"),
    (r"(?i) ('t)(is)\b", r" \1 \2 "), (r"(?i) ('t)(was)\b", r" \1 \2 "),
]
# Python's `\w` is str.isalnum() or "_": Unicode letters and numbers, which RE2 spells out.
WORD = r"[\p{L}\p{N}_']+"


def substitute(text: tf.Tensor, rules: Sequence[tuple[str, str]]) -> tf.Tensor:
    """Apply `(pattern, rewrite)` rules in order, each to every match, as `re.sub` does."""
    for pattern, rewrite in rules:
        text = tf.strings.regex_replace(text, pattern, rewrite)
    return text


def tokenize(texts: tf.Tensor, scheme: str, lowercase: bool) -> tf.RaggedTensor:
    """Tokens [texts, (tokens)] of `texts` [n] under a seqkit.data.tokenize scheme."""
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    if scheme == "whitespace":
        return tf.strings.split(texts)
    if scheme == "treebank":
        text = substitute(texts, TREEBANK)
        return tf.strings.split(substitute(tf.strings.join([" ", text, " "]), TREEBANK_ENDING))
    if scheme == "word":  # the runs of word characters: split at the rest, drop the empty pieces
        pieces = tf.strings.split(tf.strings.regex_replace(texts, WORD, " \\0 "))
        return tf.ragged.boolean_mask(pieces, tf.strings.regex_full_match(pieces, WORD))
    raise ConfigError(f"the {scheme!r} tokenizer has no graph version, so such a run cannot be exported; "
                      "train it with --tokenizer treebank, word or whitespace")


class WordTable(tf.Module):
    """A word vocabulary as two tables: token -> id (unknown: <unk>) and id -> token."""

    def __init__(self, tokens: Sequence[str]) -> None:
        super().__init__()
        self.tokens = tf.constant(list(tokens))
        init = tf.lookup.KeyValueTensorInitializer(self.tokens, tf.range(len(tokens), dtype=tf.int32))
        self.ids = tf.lookup.StaticHashTable(init, default_value=Vocab.unk_id)

    def encode(self, tokens: tf.RaggedTensor) -> tf.RaggedTensor:
        return tf.ragged.map_flat_values(self.ids.lookup, tokens)

    def decode(self, ids: tf.RaggedTensor) -> tf.Tensor:
        """Each row's tokens joined by spaces (as WordCodec.decode, after `text_ids`)."""
        return tf.strings.reduce_join(tf.gather(self.tokens, ids), axis=-1, separator=" ")


class SentencePieceTable(tf.Module):
    """A sentencepiece model proto through tensorflow-text's op (the same library underneath)."""

    def __init__(self, proto: bytes) -> None:
        super().__init__()
        try:
            import tensorflow_text as text
        except ImportError:
            raise ConfigError("exporting a sentencepiece vocabulary needs tensorflow-text: "
                              "pip install 'seqkit[export]'") from None
        self.sp = text.SentencepieceTokenizer(model=proto, out_type=tf.int32)

    def encode(self, texts: tf.Tensor) -> tf.RaggedTensor:
        return self.sp.tokenize(texts)

    def decode(self, ids: tf.RaggedTensor) -> tf.Tensor:
        return self.sp.detokenize(ids)


def shown_ids(ids: tf.Tensor, eos_id: int = Vocab.eos_id) -> tf.RaggedTensor:
    """The ids a translation shows, per row of `ids` [n, T]: those before the first </s>, without
    <pad>, <s> and </s> but with <unk> (seqkit.inference.translator.strip, then text_ids)."""
    before_end = tf.cumsum(tf.cast(ids == eos_id, tf.int32), axis=1, exclusive=True) == 0
    shown = (ids >= len(SPECIALS)) | (ids == Vocab.unk_id)
    return tf.ragged.boolean_mask(ids, before_end & shown & (ids != eos_id))


class CharTable(tf.Module):
    """An alphabet as code point -> id and id -> code point tables; with an `unk` id, unknown
    characters map to it, else they are an error naming the first one."""

    def __init__(self, symbols: str, unk_id: int | None) -> None:
        super().__init__()
        self.codes = tf.constant([ord(c) for c in symbols], tf.int32)
        init = tf.lookup.KeyValueTensorInitializer(self.codes, tf.range(len(symbols), dtype=tf.int32))
        self.ids = tf.lookup.StaticHashTable(init, default_value=-1)
        self.unk_id = unk_id

    def encode(self, text: tf.Tensor) -> tf.Tensor:
        """ids [chars] of one string."""
        ids = self.ids.lookup(tf.strings.unicode_decode(text, "UTF-8"))
        if self.unk_id is not None:
            return tf.where(ids < 0, self.unk_id, ids)
        tf.debugging.assert_non_negative(ids, "the prime has a character outside the model's alphabet")
        return ids

    def decode(self, ids: tf.Tensor) -> tf.Tensor:
        """The string of ids [chars]."""
        return tf.strings.unicode_encode(tf.gather(self.codes, ids), "UTF-8")

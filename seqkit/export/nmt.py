"""An NMT model as a SavedModel: translate(sentences, beam, alpha) -> translations, by the engine's
search with `seqkit translate`'s defaults and limits, the vocabulary (sentencepiece or words) inside.

The engine's beam width is a Python int (it shapes the loop), so each width up to `max_beam` is its own
branch of one `tf.switch_case`; alpha is a graph input."""

from __future__ import annotations

import tensorflow as tf

from seqkit.data.subword import Codec, SentencePieceCodec
from seqkit.data.vocab import Vocab
from seqkit.decoding import defaults
from seqkit.decoding.strategies import BeamSearch, GreedySearch
from seqkit.errors import ConfigError
from seqkit.export.module import ExportModule
from seqkit.export.tokenizers import SentencePieceTable, WordTable, shown_ids
from seqkit.inference.ensemble import Ensemble
from seqkit.inference.translator import output_limits, search_function
from seqkit.models.seq2seq import Seq2Seq


def table(codec: Codec) -> SentencePieceTable | WordTable:
    """The graph form of a vocabulary."""
    if isinstance(codec, SentencePieceCodec):
        return SentencePieceTable(codec.proto)
    return WordTable(codec.vocab.tokens)


class NMTExport(ExportModule):
    """The model, both vocabularies, and the `translate` signature."""

    def __init__(self, model: Seq2Seq, src: Codec, tgt: Codec, max_beam: int = 8) -> None:
        super().__init__(model)
        if max_beam < 1:
            raise ConfigError(f"max_beam must be at least 1, not {max_beam}")
        self.max_beam = max_beam
        self.src, self.tgt = table(src), table(tgt)
        self.ensemble = Ensemble([model])
        default_beam = min(defaults.BEAM, max_beam)

        def translate(sentences, beam=default_beam, alpha=defaults.ALPHA):
            """One translation per sentence ('' for a blank one), as `seqkit translate --beam B --alpha A`."""
            return self.search(sentences, beam, alpha)

        spec = [tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)]
        self.translate = tf.function(translate, input_signature=spec)

    def tokens(self, sentences: tf.Tensor) -> tf.RaggedTensor:
        """Source ids per sentence."""
        if isinstance(self.src, WordTable):
            return self.src.encode(tf.strings.split(sentences))
        return self.src.encode(sentences)

    def search(self, sentences: tf.Tensor, beam: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
        """Tokenize, search with the branch of width `beam`, detokenize."""
        tf.debugging.assert_equal((beam >= 1) & (beam <= self.max_beam), True,
                                  f"beam must be in [1, {self.max_beam}] (the export's --max-beam)")
        tf.debugging.assert_non_negative(alpha, "alpha cannot be negative")
        ids = self.tokens(sentences)[:, :defaults.MAX_SOURCE]
        lengths = ids.row_lengths()
        blank = lengths == 0  # searched from one <unk>, so that no row is empty, then shown as ''
        ids = ids.to_tensor()
        ids = tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])
        ids = tf.where(blank[:, None] & (tf.range(tf.shape(ids)[1]) == 0), Vocab.unk_id, ids)
        limit = output_limits(tf.maximum(lengths, 1), 0, defaults.MAX_RATIO, defaults.MAX_EXTRA,
                              defaults.MAX_OUTPUT)

        def search(width: int):
            strategy = GreedySearch() if width == 1 else BeamSearch(width=width, alpha=alpha)
            found = search_function(self.ensemble, strategy, 0, 0)(ids, limit, tf.constant(0))
            return found.ids[:, 0]

        best = tf.switch_case(beam - 1, [lambda w=w: search(w) for w in range(1, self.max_beam + 1)])
        return tf.where(blank, "", self.tgt.decode(shown_ids(best)))

"""Train word2vec with gensim on a text file (one sentence a line), streamed, with a progress bar."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from seqkit.data.embedded import embedded_text
from seqkit.data.text import decode_utf8
from seqkit.data.tokenize import tokenize, tokenizer
from seqkit.errors import ConfigError, DataError

# gensim silently drops the words of a sentence past this many; longer lines are cut into pieces instead.
MAX_SENTENCE = 10_000
# Published vectors have 50 to 1,000 dimensions; a larger --dim is a typo that would take hours and gigabytes.
MAX_DIM = 10_000


@dataclass(frozen=True)
class Word2VecOptions:
    """gensim Word2Vec's main settings; workers=1 makes a run reproducible from its seed."""

    dim: int = 100
    window: int = 5
    min_count: int = 5
    epochs: int = 5
    workers: int = 1
    seed: int = 0
    skipgram: bool = False
    tokenizer: str = "word"
    lowercase: bool = True

    def validate(self) -> None:
        """ConfigError naming the first setting out of range."""
        for name in ("dim", "window", "min_count", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.dim > MAX_DIM:
            raise ConfigError(f"dim must be at most {MAX_DIM:,} (vectors have 50 to 1,000), got {self.dim}")
        tokenizer(self.tokenizer)


@dataclass
class LineSentences:
    """Token lists of a corpus's lines; restartable, as gensim reads the corpus once per epoch plus once."""

    name: str
    open_corpus: Callable[[], BinaryIO]
    scheme: str
    lowercase: bool
    bar: tqdm | None = None

    def __iter__(self) -> Iterator[list[str]]:
        offset = 0
        with self.open_corpus() as f:
            for number, raw in enumerate(f, 1):
                text = decode_utf8(raw, self.name, offset, number)
                tokens = tokenize(text, self.scheme, self.lowercase)
                for start in range(0, len(tokens), MAX_SENTENCE):
                    yield tokens[start:start + MAX_SENTENCE]
                offset += len(raw)
                if self.bar is not None:
                    self.bar.update(len(raw))


def untrained(options: Word2VecOptions):
    """gensim's Word2Vec with the options' settings; building the vocabulary and training are the caller's."""
    from gensim.models import Word2Vec

    return Word2Vec(vector_size=options.dim, window=options.window, min_count=options.min_count,
                    workers=options.workers, seed=options.seed, sg=int(options.skipgram))


def train_word2vec(corpus: str | Path | None = None, options: Word2VecOptions = Word2VecOptions(),
                   progress: bool = True):
    """gensim KeyedVectors trained on `corpus` (default: the embedded Shakespeare), one sentence a line."""
    options.validate()
    if corpus is None:
        data = embedded_text().encode("utf-8")
        name, size, open_corpus = "the embedded corpus", len(data), partial(io.BytesIO, data)
    elif Path(corpus).is_file():
        name, size, open_corpus = str(corpus), Path(corpus).stat().st_size, partial(open, corpus, "rb")
    else:
        raise DataError(f"{corpus}: " + ("is a directory; give a text file" if Path(corpus).is_dir() else
                                         "no such file"))
    model = untrained(options)
    # The vocabulary scan reads the whole corpus in this thread, so a bad byte surfaces here as a DataError.
    model.build_vocab(LineSentences(name, open_corpus, options.tokenizer, options.lowercase))
    if not model.corpus_total_words:
        raise DataError(f"{name}: no words in the corpus (is the file empty or white space only?)")
    if not len(model.wv):
        raise DataError(f"{name}: no word occurs {options.min_count} times; lower --min-count or use a "
                        "bigger corpus")
    with tqdm(total=size * options.epochs, unit="B", unit_scale=True, desc="word2vec", disable=not progress,
              dynamic_ncols=True) as bar:
        model.train(LineSentences(name, open_corpus, options.tokenizer, options.lowercase, bar),
                    total_examples=model.corpus_count, epochs=options.epochs)
    return model.wv


def word2vec_from_tokens(sentences: Sequence[Sequence[str]], options: Word2VecOptions = Word2VecOptions()):
    """gensim KeyedVectors trained on token lists held in memory (their tokenizer is the caller's)."""
    options.validate()
    sentences = [list(s[start:start + MAX_SENTENCE])
                 for s in sentences for start in range(0, len(s), MAX_SENTENCE)]
    model = untrained(options)
    model.build_vocab(sentences)
    if not len(model.wv):
        raise DataError(f"no word occurs {options.min_count} times in the training texts; lower the "
                        "word2vec min_count or use more data")
    model.train(sentences, total_examples=len(sentences), epochs=options.epochs)
    return model.wv

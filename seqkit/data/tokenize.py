"""Word tokenizers that need no downloaded data (nltk's punkt cannot be fetched on every machine).

- `word`: runs of letters, digits and apostrophes (punctuation dropped), the usual choice for WMD;
- `treebank`: nltk's Penn Treebank rules (punctuation kept, "don't" -> "do n't");
- `tweet`: nltk's TweetTokenizer (handles, hashtags, emoticons, URLs kept whole);
- `whitespace`: split on white space only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from seqkit.errors import ConfigError

SCHEMES = ("word", "treebank", "tweet", "whitespace")


@cache
def tokenizer(scheme: str = "word") -> Callable[[str], list[str]]:
    """The tokenize function for a scheme name."""
    from nltk.tokenize import RegexpTokenizer, TreebankWordTokenizer, TweetTokenizer

    if scheme == "word":
        return RegexpTokenizer(r"[\w']+").tokenize
    if scheme == "treebank":
        return TreebankWordTokenizer().tokenize
    if scheme == "tweet":
        return TweetTokenizer().tokenize
    if scheme == "whitespace":
        return str.split
    raise ConfigError(f"unknown tokenizer {scheme!r}; choose one of {', '.join(SCHEMES)}")


def tokenize(text: str, scheme: str = "word", lowercase: bool = True) -> list[str]:
    """Tokens of `text` under `scheme`, lowercased unless asked not to."""
    return tokenizer(scheme)(text.lower() if lowercase else text)

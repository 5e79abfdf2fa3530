"""Tokenizers work with no downloaded nltk data."""

from __future__ import annotations

import pytest

from seqkit.data.tokenize import tokenize
from seqkit.errors import ConfigError


def test_schemes() -> None:
    text = "Don't stop, @United! It's 3.5 miles :("
    assert tokenize(text) == ["don't", "stop", "united", "it's", "3", "5", "miles"]
    assert tokenize(text, "treebank", lowercase=False)[:3] == ["Do", "n't", "stop"]
    assert "@united" in tokenize(text, "tweet") and ":(" in tokenize(text, "tweet")
    assert tokenize("a  b\tc", "whitespace") == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="unknown tokenizer"):
        tokenize("x", "punkt")

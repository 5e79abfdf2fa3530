"""Attention over encoder states: one class per scoring function, chosen by name from ATTENTIONS.

- `luong-dot`:     score = h_t . h_s (scaled: / sqrt(units))
- `luong-general`: score = h_t . W h_s (scaled: / sqrt(units))
- `luong-concat`:  score = v . tanh(W [h_s ; h_t])  (Luong et al. 2015, eq. 8)
- `bahdanau`:      score = v . tanh(W1 h_s + W2 h_t + b); normed: v = g v / |v| (weight normalization)

Source-side projections (W h_s, W1 h_s) depend only on the encoder, so `keys` computes them once per
sentence and every decoder step reuses them. The tanh and v are what make additive attention depend
on h_t at all: a single linear layer W [h_s ; h_t] adds the same w2 . h_t to every source position,
which softmax ignores (see tests/test_nmt_model.py). A new kind is one class and one line in ATTENTIONS.
"""

from __future__ import annotations

import keras
import tensorflow as tf

NEG = -1e9  # a score that softmax turns into exactly 0 in float32
# (in float16, where -1e9 overflows to -inf, its lowest finite value instead)


class Attention(keras.layers.Layer):
    """score(query, keys) -> masked softmax weights -> context = weights . memory."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units

    @classmethod
    def from_config_of(cls, cfg, **kwargs) -> Attention:
        """The attention an NMTConfig asks for."""
        return cls(cfg.units, **kwargs)

    def keys(self, memory: tf.Tensor) -> tf.Tensor:
        """The source-side part of the score, once per sentence: [batch, src, units]."""
        return memory

    def scores(self, query: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        """Unnormalized scores [batch, src] of one decoder state [batch, units] against the keys."""
        raise NotImplementedError

    def call(self, query: tf.Tensor, keys: tf.Tensor, memory: tf.Tensor,
             mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(context [batch, memory units], weights [batch, src]); weights are 0 where mask is False."""
        scores = self.scores(query, keys)
        weights = tf.nn.softmax(tf.where(mask, scores, max(NEG, float(scores.dtype.min))))
        return tf.einsum("bs,bsu->bu", weights, memory), weights


class LuongDot(Attention):
    """h_t . h_s, optionally / sqrt(units)."""

    def __init__(self, units: int, scaled: bool = False, **kwargs) -> None:
        super().__init__(units, **kwargs)
        self.scaled = scaled

    @classmethod
    def from_config_of(cls, cfg, **kwargs) -> Attention:
        return cls(cfg.units, scaled=cfg.scaled, **kwargs)

    def scores(self, query: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        s = tf.einsum("bsu,bu->bs", keys, query)
        return s * self.units ** -0.5 if self.scaled else s


class LuongGeneral(LuongDot):
    """h_t . W h_s: dot attention over projected memory."""

    def __init__(self, units: int, scaled: bool = False, **kwargs) -> None:
        super().__init__(units, scaled, **kwargs)
        self.memory_proj = keras.layers.Dense(units, use_bias=False, name="memory_proj")

    def keys(self, memory: tf.Tensor) -> tf.Tensor:
        return self.memory_proj(memory)


class LuongConcat(Attention):
    """v . tanh(W1 h_s + W2 h_t), which is W [h_s ; h_t] with W = [W1 W2]."""

    query_bias = False

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(units, **kwargs)
        self.memory_proj = keras.layers.Dense(units, use_bias=False, name="memory_proj")
        self.query_proj = keras.layers.Dense(units, use_bias=self.query_bias, name="query_proj")
        self.v = self.add_weight(shape=(units,), initializer="glorot_uniform", name="v")

    def keys(self, memory: tf.Tensor) -> tf.Tensor:
        return self.memory_proj(memory)

    def vector(self) -> tf.Tensor:
        """The v that scores the tanh features."""
        return self.v

    def scores(self, query: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        return tf.einsum("bsu,u->bs", tf.tanh(keys + self.query_proj(query)[:, None, :]), self.vector())


class Bahdanau(LuongConcat):
    """v . tanh(W1 h_s + W2 h_t + b); normed: v = g v / |v|."""

    query_bias = True

    def __init__(self, units: int, normed: bool = False, **kwargs) -> None:
        super().__init__(units, **kwargs)
        self.normed = normed
        if normed:
            self.g = self.add_weight(shape=(), initializer=keras.initializers.Constant(units ** -0.5),
                                     name="g")

    @classmethod
    def from_config_of(cls, cfg, **kwargs) -> Attention:
        return cls(cfg.units, normed=cfg.normed, **kwargs)

    def vector(self) -> tf.Tensor:
        return self.g * self.v / tf.norm(self.v) if self.normed else self.v


ATTENTIONS: dict[str, type[Attention]] = {"luong-dot": LuongDot, "luong-general": LuongGeneral,
                                          "luong-concat": LuongConcat, "bahdanau": Bahdanau}


def build_attention(cfg) -> Attention | None:
    """The attention an NMTConfig names, or None for `none`."""
    if cfg.attention == "none":
        return None
    return ATTENTIONS[cfg.attention].from_config_of(cfg, name="attention")

"""Transformer parts shared by the encoder, the decoder and the decoder-only language model."""

from seqkit.models.transformer.attention import CrossAttention, MultiHeadAttention, SelfAttention
from seqkit.models.transformer.stack import Block, Positions, TransformerStack, causal_mask

__all__ = ["Block", "CrossAttention", "MultiHeadAttention", "Positions", "SelfAttention", "TransformerStack",
           "causal_mask"]

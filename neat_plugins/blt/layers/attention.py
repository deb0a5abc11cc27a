"""Attention and transformer blocks shared by the parts of the BLT.

Plain ``scaled_dot_product_attention`` with boolean masks (True = may attend) or
``is_causal``; rotary positions from the entropy model's module.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .model import apply_rope, rope_tables

Rope = tuple[torch.Tensor, torch.Tensor]


class Attention(nn.Module):
    """Multi-head attention of queries ``x`` over ``context`` (``x`` itself when None)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.query = nn.Linear(dim, dim, bias=False)
        self.key_value = nn.Linear(dim, 2 * dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., L, dim]`` -> ``[..., heads, L, head_dim]``."""
        return x.unflatten(-1, (self.heads, -1)).transpose(-3, -2)

    def keys_values(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key, value = self.key_value(context).chunk(2, dim=-1)
        return self.split_heads(key), self.split_heads(value)

    def attend(self, x: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *,
               mask: torch.Tensor | None = None, is_causal: bool = False,
               rope: Rope | None = None) -> torch.Tensor:
        query = self.split_heads(self.query(x))
        if rope is not None:
            query, key = apply_rope(query, *rope), apply_rope(key, *rope)
        y = F.scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                           is_causal=is_causal,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(-3, -2).flatten(-2))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, *,
                mask: torch.Tensor | None = None, is_causal: bool = False,
                rope: Rope | None = None) -> torch.Tensor:
        key, value = self.keys_values(x if context is None else context)
        return self.attend(x, key, value, mask=mask, is_causal=is_causal, rope=rope)


class FeedForward(nn.Module):
    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.up = nn.Linear(dim, 4 * dim, bias=False)
        self.down = nn.Linear(4 * dim, dim, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(F.gelu(self.up(x))))


class Block(nn.Module):
    """Pre-norm self-attention block; ``mask`` or ``is_causal`` says what it sees."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, *, mask: torch.Tensor | None = None,
                is_causal: bool = False, rope: Rope | None = None) -> torch.Tensor:
        x = x + self.resid_dropout(self.attn(self.attn_norm(x), mask=mask,
                                             is_causal=is_causal, rope=rope))
        return x + self.ffn(self.ffn_norm(x))


class Rotary(nn.Module):
    """Rotary tables for up to ``length`` positions (not saved: derived from the config)."""

    cos: torch.Tensor
    sin: torch.Tensor

    def __init__(self, head_dim: int, length: int) -> None:
        super().__init__()
        cos, sin = rope_tables(head_dim, length)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, length: int) -> Rope:
        return self.cos[:length], self.sin[:length]


def init_weights(module: nn.Module) -> None:
    """GPT-2 style: N(0, 0.02) for linear and embedding weights (``module.apply``)."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)

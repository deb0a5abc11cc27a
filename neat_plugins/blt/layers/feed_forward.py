"""The feed-forward layers a :class:`~.spec.BlockSpec` may name."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .spec import BlockSpec


class FeedForward(nn.Module):
    """``down(gelu(up(x)))``, then dropout."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.up = nn.Linear(spec.dim, spec.ffn_size, bias=False)
        self.down = nn.Linear(spec.ffn_size, spec.dim, bias=False)
        self.dropout = nn.Dropout(spec.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(F.gelu(self.up(x))))


class GatedFeedForward(nn.Module):
    """SwiGLU: ``down(silu(gate(x)) * up(x))``, then dropout (the reference layout)."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.gate = nn.Linear(spec.dim, spec.ffn_size, bias=False)
        self.up = nn.Linear(spec.dim, spec.ffn_size, bias=False)
        self.down = nn.Linear(spec.ffn_size, spec.dim, bias=False)
        self.dropout = nn.Dropout(spec.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(F.silu(self.gate(x)) * self.up(x)))


FEED_FORWARDS: dict[str, Callable[[BlockSpec], nn.Module]] = {
    "gelu": FeedForward, "swiglu": GatedFeedForward}


def make_feed_forward(spec: BlockSpec) -> nn.Module:
    return FEED_FORWARDS[spec.feed_forward](spec)

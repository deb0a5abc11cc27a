"""The pre-norm transformer block of both models, and their weight initialisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .attention import Attend, Attention
from .feed_forward import make_feed_forward
from .norms import make_norm
from .rope import Rope
from .spec import BlockSpec

if TYPE_CHECKING:
    from .kv_cache import KVCache


class Block(nn.Module):
    """``x + attention(norm(x))``, then ``x + feed_forward(norm(x))``; ``mask``,
    ``is_causal``, ``cache`` or ``attend`` say what each position sees (see
    :class:`.Attention`)."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.attn_norm = make_norm(spec)
        self.attn = Attention(spec)
        self.ffn_norm = make_norm(spec)
        self.ffn = make_feed_forward(spec)
        self.resid_dropout = nn.Dropout(spec.dropout)

    def forward(self, x: torch.Tensor, *, mask: torch.Tensor | None = None,
                is_causal: bool = False, rope: Rope | None = None,
                cache: KVCache | None = None, layer: int = 0,
                attend: Attend | None = None) -> torch.Tensor:
        x = x + self.resid_dropout(self.attn(self.attn_norm(x), mask=mask, is_causal=is_causal,
                                             rope=rope, cache=cache, layer=layer,
                                             attend=attend))
        return x + self.ffn(self.ffn_norm(x))


def init_weights(module: nn.Module) -> None:
    """GPT-2 style: N(0, 0.02) for linear and embedding weights (``model.apply``)."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)

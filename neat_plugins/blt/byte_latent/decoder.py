"""The BLT's local decoder: byte states that read the latent output, then a 256-way head.

It starts from the local encoder's byte states. In each layer every byte first
cross-attends to the ``k`` latent vectors of the latent position its patch id names
(see :mod:`.framing`: those summarise only patches before the byte it predicts), then
runs a causal windowed transformer block over the bytes.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import Attention, causal
from ..layers.block import Block
from ..layers.norms import make_norm
from ..layers.rope import Rope
from ..layers.spec import LAYOUTS
from ..layers.tokens import VOCABULARIES
from .settings import BltConfig, local_spec


class LatentReader(nn.Module):
    """Cross-attention of each byte to the ``k`` latent vectors of its patch."""

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        spec = local_spec(config)
        self.norm = make_norm(spec)
        self.latent_norm = make_norm(spec)
        self.attn = Attention(spec)
        self.double_residual = spec.double_residual

    def forward(self, x: torch.Tensor, latent: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """``x [batch, time, dim]``, ``latent [batch, P, k, dim]``, ``ids [batch, time]``."""
        key, value = self.attn.keys_values(self.latent_norm(latent))  # per patch, not byte
        index = ids[:, :, None, None, None].expand(-1, -1, *key.shape[2:])
        key, value = key.gather(1, index), value.gather(1, index)  # [B, T, heads, k, hd]
        query = self.attn.queries(self.norm(x).unsqueeze(2))  # one query per byte
        attended = self.attn.attend(query, key, value).squeeze(2)
        return x + (attended + x if self.double_residual else attended)


class LocalDecoder(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        spec = local_spec(config)
        self.readers = nn.ModuleList(LatentReader(config)
                                     for _ in range(config.decoder_layers))
        self.blocks = nn.ModuleList(Block(spec) for _ in range(config.decoder_layers))
        self.norm = make_norm(spec)
        vocabulary = VOCABULARIES[LAYOUTS[config.layout].vocabulary]
        self.head = nn.Linear(config.local_size, vocabulary.size, bias=False)

    def forward(self, x: torch.Tensor, latent: torch.Tensor, ids: torch.Tensor,
                mask: torch.Tensor | None, rope: Rope) -> torch.Tensor:
        """Next-token logits ``[batch, time, vocabulary]``."""
        for reader, block in zip(self.readers, self.blocks):
            x = block(reader(x, latent, ids), rope=rope, **causal(mask))
        return self.head(self.norm(x))

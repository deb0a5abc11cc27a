"""The BLT's local decoder: byte states that read the latent output, then a 256-way head.

It starts from the local encoder's byte states. In each layer every byte first
cross-attends to the ``k`` latent vectors of its own patch's latent position, which
summarise the patches *before* its patch (see :mod:`.latent`), then runs a causal
windowed transformer block over the bytes.
"""

from __future__ import annotations

import torch
from torch import nn

from .blt_config import BltConfig
from .local_encoder import VOCAB_SIZE, attention_args
from .transformer import Attention, Block, Rope


class LatentReader(nn.Module):
    """Cross-attention of each byte to the ``k`` latent vectors of its patch."""

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(config.local_size)
        self.latent_norm = nn.LayerNorm(config.local_size)
        self.attn = Attention(config.local_size, config.local_heads, config.dropout)

    def forward(self, x: torch.Tensor, latent: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """``x [batch, time, dim]``, ``latent [batch, P, k, dim]``, ``ids [batch, time]``."""
        key, value = self.attn.keys_values(self.latent_norm(latent))  # per patch, not byte
        index = ids[:, :, None, None, None].expand(-1, -1, *key.shape[2:])
        key, value = key.gather(1, index), value.gather(1, index)  # [B, T, heads, k, hd]
        y = self.attn.attend(self.norm(x).unsqueeze(2), key, value)  # one query per byte
        return x + y.squeeze(2)


class LocalDecoder(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        self.readers = nn.ModuleList(LatentReader(config)
                                     for _ in range(config.decoder_layers))
        self.blocks = nn.ModuleList(Block(config.local_size, config.local_heads, config.dropout)
                                    for _ in range(config.decoder_layers))
        self.norm = nn.LayerNorm(config.local_size)
        self.head = nn.Linear(config.local_size, VOCAB_SIZE, bias=False)

    def forward(self, x: torch.Tensor, latent: torch.Tensor, ids: torch.Tensor,
                mask: torch.Tensor | None, rope: Rope) -> torch.Tensor:
        """Next-byte logits ``[batch, time, 256]``."""
        for reader, block in zip(self.readers, self.blocks):
            x = block(reader(x, latent, ids), rope=rope, **attention_args(mask))
        return self.head(self.norm(x))

"""The BLT's latent (global) transformer: causal over patches, shifted by one patch.

Its position ``j`` reads a learned start vector followed by patches ``0..j-1``, so the
output at ``j`` summarises only the patches *before* patch ``j``: the bytes of patch
``j`` may read it without seeing themselves or anything later.
"""

from __future__ import annotations

import torch
from torch import nn

from .blt_config import BltConfig
from .transformer import Block, Rotary


class LatentTransformer(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        dim, local, self.k = config.latent_size, config.local_size, config.queries_per_patch
        self.local = local
        self.input = nn.Linear(self.k * local, dim, bias=False)
        self.start = nn.Parameter(0.02 * torch.randn(dim))
        self.blocks = nn.ModuleList(Block(dim, config.latent_heads, config.dropout)
                                    for _ in range(config.latent_layers))
        self.rotary = Rotary(dim // config.latent_heads, config.block_size)
        self.norm = nn.LayerNorm(dim)
        self.output = nn.Linear(dim, self.k * local, bias=False)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """``[batch, P, k, local]`` pooled patches -> ``[batch, P, k, local]``, where
        output ``j`` depends on patches ``0..j-1`` only."""
        batch, count = patches.shape[:2]
        x = self.input(patches.flatten(2))
        x = torch.cat((self.start.expand(batch, 1, -1), x[:, :-1]), dim=1)
        rope = self.rotary(count)
        for block in self.blocks:
            x = block(x, is_causal=True, rope=rope)
        return self.output(self.norm(x)).view(batch, count, self.k, self.local)

"""The BLT's latent (global) transformer: causal over patches, shifted by one patch.

Its position ``j`` reads a learned start vector followed by patches ``0..j-1``, so the
output at ``j`` summarises only the patches *before* patch ``j``: the bytes of patch
``j`` may read it without seeing themselves or anything later.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.block import Block
from ..layers.norms import make_norm
from ..layers.rope import Rotary
from .settings import BltConfig, latent_spec


class LatentTransformer(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        spec = latent_spec(config)
        dim, local, self.k = spec.dim, config.local_size, config.queries_per_patch
        self.local = local
        self.input = nn.Linear(self.k * local, dim, bias=False)
        self.start = nn.Parameter(0.02 * torch.randn(dim))
        self.blocks = nn.ModuleList(Block(spec) for _ in range(config.latent_layers))
        self.rotary = Rotary(spec.head_dim, config.block_size)
        self.norm = make_norm(spec)
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

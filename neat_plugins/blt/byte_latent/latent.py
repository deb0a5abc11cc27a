"""The BLT's latent (global) transformer: causal over patches.

In the neat layout its position ``j`` reads a learned start vector followed by patches
``0..j-1``, so the output at ``j`` summarises only the patches *before* patch ``j``: the
bytes of patch ``j`` may read it without seeing themselves or anything later. A final
norm precedes the output projection.

In the reference layout (transformers' ``BltGlobalTransformer``) the first patch is the
BOS token's, which plays the start vector's part: position ``j`` reads patches
``0..j`` unshifted, there is no final norm, and the input projection is the identity
when the ``k`` pooled vectors of a patch are as wide as the latent transformer. Which
output each byte reads is the decoder's patch id (:mod:`.framing`).
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.block import Block
from ..layers.norms import make_norm
from ..layers.rope import Rotary
from ..layers.spec import LAYOUTS
from .settings import BltConfig, latent_spec, rope_theta


class LatentTransformer(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        spec = latent_spec(config)
        layout = LAYOUTS[config.layout]
        dim, local, self.k = spec.dim, config.local_size, config.queries_per_patch
        self.local = local
        self.input: nn.Module = (nn.Identity() if not layout.latent_start and self.k * local == dim
                                 else nn.Linear(self.k * local, dim, bias=False))
        self.start = nn.Parameter(0.02 * torch.randn(dim)) if layout.latent_start else None
        self.blocks = nn.ModuleList(Block(spec) for _ in range(config.latent_layers))
        # the reference layout's BOS patch is one more position
        self.rotary = Rotary(spec.head_dim, config.block_size + (not layout.latent_start),
                             rope_theta(config), layout.pairing)
        self.norm = make_norm(spec) if layout.latent_start else nn.Identity()
        self.output = nn.Linear(dim, self.k * local, bias=False)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """``[batch, P, k, local]`` pooled patches -> ``[batch, P, k, local]``, where
        output ``j`` depends on patches ``0..j-1`` (neat) or ``0..j`` (reference) only."""
        batch, count = patches.shape[:2]
        x = self.input(patches.flatten(2))
        if self.start is not None:
            x = torch.cat((self.start.expand(batch, 1, -1), x[:, :-1]), dim=1)
        rope = self.rotary(count)
        for block in self.blocks:
            x = block(x, is_causal=True, rope=rope)
        return self.output(self.norm(x)).view(batch, count, self.k, self.local)

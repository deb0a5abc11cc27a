"""The BLT's patch pooling: the byte states of each patch become ``k`` vectors, the
latent transformer's input (BLT's encoder cross-attention)."""

from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import Attention
from ..layers.norms import make_norm
from .settings import BltConfig, local_spec


class PatchPooling(nn.Module):
    """Pools the byte states of each patch into ``k`` vectors.

    The ``k`` queries of a patch start from a max (or mean) pool of its byte states,
    projected to ``k`` vectors, and add a cross-attention over the bytes of that patch
    only (twice in the reference layout, see :class:`~..layers.spec.BlockSpec`). An empty
    patch (padding) gives zeros.
    """

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        spec = local_spec(config)
        dim, self.k = spec.dim, config.queries_per_patch
        self.pooling = config.pooling
        self.double_residual = spec.double_residual
        self.init = nn.Linear(dim, self.k * dim, bias=False)
        self.query_norm = make_norm(spec)
        self.byte_norm = make_norm(spec)
        self.attn = Attention(spec)

    def pool(self, x: torch.Tensor, ids: torch.Tensor, patches: int) -> torch.Tensor:
        """``[batch, patches, dim]``: max or mean of each patch's byte states (0 if empty)."""
        batch, _, dim = x.shape
        index = ids.unsqueeze(-1).expand_as(x)
        out = x.new_zeros(batch, patches, dim)
        if self.pooling == "max":
            return out.scatter_reduce(1, index, x, "amax", include_self=False)
        counts = x.new_zeros(batch, patches, 1).scatter_add(
            1, ids.unsqueeze(-1), x.new_ones(ids.shape + (1,)))
        return out.scatter_add(1, index, x) / counts.clamp(min=1)

    def forward(self, x: torch.Tensor, ids: torch.Tensor, patches: int) -> torch.Tensor:
        """``[batch, patches, k, dim]`` for byte states ``x`` and patch ids ``ids``."""
        batch, _, dim = x.shape
        queries = self.init(self.pool(x, ids, patches)).view(batch, patches * self.k, dim)
        owner = torch.arange(patches, device=x.device).repeat_interleave(self.k)
        mask = ids.unsqueeze(1) == owner[:, None]  # [batch, patches * k, time]
        empty = ~mask.any(-1, keepdim=True)
        # an empty patch's queries may look anywhere (no all-masked row, so no NaN)...
        mask = (mask | empty).unsqueeze(1)
        attended = self.attn(self.query_norm(queries), self.byte_norm(x), mask=mask)
        pooled = queries + (attended + queries if self.double_residual else attended)
        # ...and their result is dropped
        return pooled.masked_fill(empty, 0.0).view(batch, patches, self.k, dim)

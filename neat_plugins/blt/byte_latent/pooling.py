"""The BLT's patch pooling: the byte states of each patch become ``k`` vectors, the
latent transformer's input (BLT's encoder cross-attention).

Patches arrive packed: the byte states of all patches of a batch in one list, each
with the index of its patch, so the pooling costs what the real patches cost, however
unequal the rows (no row is padded to the longest). The cross-attention of a patch's
queries over its own bytes is a softmax per patch (segment): each byte scores its
patch's ``k`` queries (``2 k d`` FLOPs), and the weighted values are summed into the
patch (``2 k d``) -- exactly the pairs the mask allows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.attention import Attention
from ..layers.norms import make_norm
from .settings import BltConfig, local_spec


class PatchPooling(nn.Module):
    """Pools the byte states of each patch into ``k`` vectors.

    The ``k`` queries of a patch start from a max (or mean) pool of its byte states,
    projected to ``k`` vectors, and add a cross-attention over the bytes of that patch
    only (twice in the reference layout, see :class:`~..layers.spec.BlockSpec`).
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

    def pool(self, x: torch.Tensor, patch: torch.Tensor, patches: int) -> torch.Tensor:
        """``[patches, dim]``: max or mean of each patch's byte states."""
        index = patch.unsqueeze(-1).expand_as(x)
        out = x.new_zeros(patches, x.shape[-1])
        if self.pooling == "max":
            return out.scatter_reduce(0, index, x, "amax", include_self=False)
        counts = x.new_zeros(patches, 1).index_add_(0, patch, x.new_ones(len(patch), 1))
        return out.index_add(0, patch, x) / counts

    def forward(self, x: torch.Tensor, patch: torch.Tensor, patches: int) -> torch.Tensor:
        """``[patches, k, dim]`` for byte states ``x [n, dim]`` of which byte ``i`` belongs
        to patch ``patch[i]`` (every patch has at least one byte)."""
        dim, heads = x.shape[-1], self.attn.heads
        queries = self.init(self.pool(x, patch, patches)).view(patches, self.k, dim)
        query = self.attn.queries(self.query_norm(queries))  # [patches, heads, k, head_dim]
        key, value = self.attn.key_value(self.byte_norm(x)).view(
            len(patch), 2, heads, 1, -1).unbind(1)  # [n, heads, 1, head_dim] each
        # each byte against its patch's k queries, [n, heads, k, 1]: matrix products,
        # which FLOP counters see
        scores = query[patch] @ key.transpose(-1, -2) / math.sqrt(key.shape[-1])
        weights = _segment_softmax(scores, patch, patches)
        if self.training and self.attn.dropout:
            weights = F.dropout(weights, self.attn.dropout)
        mixed = weights @ value  # [n, heads, k, head_dim]
        out = mixed.new_zeros(patches, *mixed.shape[1:]).index_add_(0, patch, mixed)
        attended = self.attn.proj(out.transpose(1, 2).flatten(-2))
        return queries + (attended + queries if self.double_residual else attended)


def _segment_softmax(scores: torch.Tensor, segment: torch.Tensor, count: int) -> torch.Tensor:
    """Softmax of ``scores [n, ...]`` over the entries of each segment (along dim 0)."""
    index = segment.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    top = scores.new_full((count, *scores.shape[1:]), -math.inf).scatter_reduce(
        0, index, scores.detach(), "amax")  # a shift: softmax does not depend on it
    exp = (scores - top[segment]).exp()
    total = exp.new_zeros(top.shape).index_add_(0, segment, exp)
    return exp / total[segment]

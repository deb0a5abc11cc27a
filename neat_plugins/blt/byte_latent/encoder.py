"""The BLT's local encoder: byte states, then each patch pooled into k query vectors."""

from __future__ import annotations

import torch
from torch import nn

from .blt_config import BltConfig
from .hash_embeddings import HashNgramEmbedding
from .transformer import Attention, Block, Rope

VOCAB_SIZE = 256


def local_mask(time: int, window: int | None, device: torch.device) -> torch.Tensor | None:
    """``[time, time]`` bool: query ``i`` sees key ``j`` when ``0 <= i - j < window``;
    None when the window covers the whole input (plain causal attention then)."""
    if window is None or window >= time:
        return None
    distance = torch.arange(time, device=device)[:, None] - torch.arange(time, device=device)
    return (distance >= 0) & (distance < window)


def attention_args(mask: torch.Tensor | None) -> dict:
    """Keyword arguments of a causal (windowed) self-attention."""
    return {"mask": mask} if mask is not None else {"is_causal": True}


class LocalEncoder(nn.Module):
    """Byte and hash n-gram embeddings, then causal windowed transformer blocks."""

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        dim = config.local_size
        self.embed = nn.Embedding(VOCAB_SIZE, dim)
        self.hash_embed = (HashNgramEmbedding(config.hash_ngrams, config.hash_buckets, dim)
                           if config.hash_ngrams else None)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(dim, config.local_heads, config.dropout)
                                    for _ in range(config.encoder_layers))

    def forward(self, idx: torch.Tensor, mask: torch.Tensor | None, rope: Rope) -> torch.Tensor:
        """Byte states ``[batch, time, local_size]``."""
        x = self.embed(idx)
        if self.hash_embed is not None:
            x = x + self.hash_embed(idx)
        x = self.dropout(x)
        for block in self.blocks:
            x = block(x, rope=rope, **attention_args(mask))
        return x


class PatchPooling(nn.Module):
    """Pools the byte states of each patch into ``k`` vectors.

    The ``k`` queries of a patch start from a max (or mean) pool of its byte states,
    projected to ``k`` vectors, and add a cross-attention over the bytes of that patch
    only. An empty patch (padding) gives zeros.
    """

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        dim, self.k = config.local_size, config.queries_per_patch
        self.pooling = config.pooling
        self.init = nn.Linear(dim, self.k * dim, bias=False)
        self.query_norm = nn.LayerNorm(dim)
        self.byte_norm = nn.LayerNorm(dim)
        self.attn = Attention(dim, config.local_heads, config.dropout)

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
        pooled = queries + self.attn(self.query_norm(queries), self.byte_norm(x), mask=mask)
        # ...and their result is dropped
        return pooled.masked_fill(empty, 0.0).view(batch, patches, self.k, dim)

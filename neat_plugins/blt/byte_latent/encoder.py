"""The BLT's local encoder: byte and hash n-gram embeddings, then causal transformer
blocks over the bytes, each seeing the last ``local_window`` of them. In the reference
layout it reads tokens (BOS, then the bytes, :mod:`..layers.tokens`) and hashes them
into one fused table."""

from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import Attend
from ..layers.block import Block
from ..layers.hash_ngrams import hash_embedding
from ..layers.kv_cache import KVCache
from ..layers.rope import Rope
from ..layers.spec import LAYOUTS
from ..layers.tokens import VOCABULARIES
from .settings import BltConfig, local_spec


class LocalEncoder(nn.Module):
    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        dim = config.local_size
        self.embed = nn.Embedding(VOCABULARIES[LAYOUTS[config.layout].vocabulary].size, dim)
        self.hash_embed = hash_embedding(config.layout, config.hash_ngrams, config.hash_buckets,
                                         dim, config.hash_functions)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(local_spec(config))
                                    for _ in range(config.encoder_layers))

    def forward(self, idx: torch.Tensor, rope: Rope, attend: Attend | None = None,
                cache: KVCache | None = None) -> torch.Tensor:
        """Byte (or token) states ``[batch, time, local_size]``: causal over them (limited by
        ``attend``, a windowed attention), or after those ``cache`` holds (whose bytes
        the first n-grams read)."""
        x = self.embed(idx)
        if self.hash_embed is not None:
            ngrams = idx if cache is None else cache.with_history(idx)
            x = x + self.hash_embed(ngrams)[:, -idx.shape[1]:]
        x = self.dropout(x)
        for layer, block in enumerate(self.blocks):
            x = (block(x, rope=rope, cache=cache, layer=layer) if cache is not None
                 else block(x, rope=rope, attend=attend, is_causal=attend is None))
        return x

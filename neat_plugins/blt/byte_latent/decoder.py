"""The BLT's local decoder: byte states that read the latent output, then a 256-way head.

It starts from the local encoder's byte states. In each layer every byte first
cross-attends to the ``k`` latent vectors of the latent position it is given (its own
patch's in the neat layout, the next byte's in the reference layout: either summarises
only patches before the byte it predicts, see :mod:`.latent`), then runs a causal
windowed transformer block over the bytes.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import Attend, Attention
from ..layers.block import Block
from ..layers.kv_cache import KVCache
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

    def keys_values(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values ``[P, heads, k, head_dim]`` of latent outputs ``[P, k, dim]``
        (per patch, not per byte)."""
        return self.attn.keys_values(self.latent_norm(latent))

    def forward(self, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                index: torch.Tensor) -> torch.Tensor:
        """``x [batch, time, dim]``; byte ``(b, t)`` reads row ``index[b, t]`` of
        ``keys`` and ``values`` (its patch's)."""
        query = self.attn.queries(self.norm(x).unsqueeze(2))  # one query per byte
        attended = self.attn.attend(query, keys[index], values[index]).squeeze(2)
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

    def latent_keys(self, latent: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each layer's keys and values of latent outputs ``[P, k, dim]``."""
        readers: list[LatentReader] = list(self.readers)  # type: ignore[arg-type]
        return [reader.keys_values(latent) for reader in readers]

    def forward(self, x: torch.Tensor, latent: list[tuple[torch.Tensor, torch.Tensor]],
                index: torch.Tensor, rope: Rope, attend: Attend | None = None,
                cache: KVCache | None = None) -> torch.Tensor:
        """Next-token logits ``[batch, time, vocabulary]`` of byte states ``x``, byte ``(b, t)``
        reading the latent keys and values of row ``index[b, t]`` (see
        :meth:`latent_keys`), causal over the bytes (limited by ``attend``) or after those ``cache``
        holds."""
        for layer, (reader, block, (keys, values)) in enumerate(
                zip(self.readers, self.blocks, latent)):
            x = reader(x, keys, values, index)
            x = (block(x, rope=rope, cache=cache, layer=layer) if cache is not None
                 else block(x, rope=rope, attend=attend, is_causal=attend is None))
        return self.head(self.norm(x))

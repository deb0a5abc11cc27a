"""The BLT's latent (global) transformer: causal over patches.

In the neat layout it is shifted by one patch: its position ``j`` reads a learned start
vector followed by patches ``0..j-1``, so the output at ``j`` summarises only the
patches *before* patch ``j``: the bytes of patch ``j`` may read it without seeing
themselves or anything later. A final norm precedes the output projection.

In the reference layout (transformers' ``BltGlobalTransformer``) the first patch is the
BOS token's, which plays the start vector's part: position ``j`` reads patches ``0..j``
unshifted, there is no final norm, and the input projection is the identity when the
``k`` pooled vectors of a patch are as wide as the latent transformer. Which output
each byte reads is the decoder's (:mod:`.framing`).

Positions are packed: the patches of all rows in one sequence, each row's causal
attention on its own (:mod:`..layers.packed`), so rows with few patches cost what they
hold. :meth:`LatentTransformer.step` runs new positions after those a
:class:`LatentCache` holds, for a stream read piece by piece: position ``j`` attends to
the positions of its row whose patches start within the ``block_size`` bytes that end
at patch ``j``'s start -- in a window of ``block_size`` bytes, all of those before it,
so ``forward`` and ``step`` compute the same.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.block import Block
from ..layers.norms import make_norm
from ..layers.packed import bucketed_causal
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
        self.dropout = config.dropout
        self.input: nn.Module = (nn.Identity() if not layout.latent_start and self.k * local == dim
                                 else nn.Linear(self.k * local, dim, bias=False))
        self.start = nn.Parameter(0.02 * torch.randn(dim)) if layout.latent_start else None
        self.blocks = nn.ModuleList(Block(spec) for _ in range(config.latent_layers))
        # the reference layout's BOS patch is one more position
        self.rotary = Rotary(spec.head_dim, config.block_size + (not layout.latent_start),
                             rope_theta(config), layout.pairing)
        self.norm = make_norm(spec) if layout.latent_start else nn.Identity()
        self.output = nn.Linear(dim, self.k * local, bias=False)

    def forward(self, patches: torch.Tensor, counts: list[int]) -> torch.Tensor:
        """``[N, k, local]`` pooled patches of rows holding ``counts`` patches each,
        packed in order -> ``[N, k, local]``, where output ``j`` of a row depends on its
        patches ``0..j-1`` (neat) or ``0..j`` (reference) only."""
        first = torch.tensor([0, *counts[:-1]], device=patches.device).cumsum(0)
        x = self.input(patches.flatten(1))
        if self.start is not None:
            x = x.roll(1, dims=0)  # each position reads the last
            x[first] = self.start.to(x.dtype)  # ... and each row's first the start vector
        row_of = torch.repeat_interleave(torch.arange(len(counts), device=x.device),
                                         torch.tensor(counts, device=x.device))
        rope = self.rotary.of(torch.arange(len(x), device=x.device) - first[row_of])
        attend = bucketed_causal(counts, x.device, self._dropout())
        for block in self.blocks:
            x = block(x, rope=rope, attend=attend)
        return self.output(self.norm(x)).view(len(x), self.k, self.local)

    def step(self, inputs: torch.Tensor | None, rows: torch.Tensor, index: torch.Tensor,
             starts: torch.Tensor, cache: LatentCache) -> torch.Tensor:
        """Outputs ``[M, k, local]`` of ``M`` new positions after those ``cache`` holds:
        position ``index[m]`` of row ``rows[m]``, whose patch starts at byte ``starts[m]``
        (rows in order, positions rising in each), reading the pooled patch ``inputs[m]``
        (``[M, k, local]``), or the start vector where ``index`` is 0 (neat layout: the
        reference layout's position 0 reads the BOS patch)."""
        if self.start is None:
            assert inputs is not None
            x = self.input(inputs.flatten(1))
        else:
            x = self.start.expand(len(rows), -1)
            if inputs is not None:
                x = torch.where((index == 0)[:, None], x, self.input(inputs.flatten(1)))
        attend = cache.attention(rows, index, starts)
        rope = self.rotary.of(index)
        for layer, block in enumerate(self.blocks):
            x = block(x, rope=rope, attend=attend.layer(layer))
        return self.output(self.norm(x)).view(len(x), self.k, self.local)

    def _dropout(self) -> float:
        return self.dropout if self.training else 0.0


class LatentCache:
    """Keys and values of the latent positions each row of a stream has seen, per layer:
    a ring of ``capacity`` slots per row (position ``j`` in slot ``j % capacity``) that
    keeps each slot's patch start, so a new position attends to the positions whose
    patches start within the ``context`` bytes ending at its own patch's start."""

    def __init__(self, batch_size: int, layers: int, context: int, capacity: int,
                 device: torch.device) -> None:
        self.context, self.capacity, self.layers = context, capacity, layers
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.held = torch.full((batch_size, capacity), -1, dtype=torch.long, device=device)
        self.held_start = torch.zeros((batch_size, capacity), dtype=torch.long, device=device)

    def attention(self, rows: torch.Tensor, index: torch.Tensor,
                  starts: torch.Tensor) -> CacheAttention:
        """Record new positions and return their attention over what each row holds."""
        slot = index % self.capacity
        self.held[rows, slot] = index
        self.held_start[rows, slot] = starts
        return CacheAttention(self, rows, index, starts, slot)


class CacheAttention:
    """The attention of one step's new positions, layer by layer (each layer writes its
    keys and values into the cache, then attends)."""

    def __init__(self, cache: LatentCache, rows: torch.Tensor, index: torch.Tensor,
                 starts: torch.Tensor, slot: torch.Tensor) -> None:
        self.cache, self.rows, self.slot = cache, rows, slot
        # queries padded per row: [R, width] positions of the new ones
        self.order, counts = torch.unique_consecutive(rows, return_counts=True)
        first = torch.cumsum(counts, 0) - counts
        self.column = torch.arange(len(rows), device=rows.device) - first.repeat_interleave(
            counts)
        width = int(counts.max())
        self.row = torch.repeat_interleave(torch.arange(len(self.order), device=rows.device),
                                           counts)
        held = cache.held[self.order][:, None, :]  # [R, 1, capacity]
        held_start = cache.held_start[self.order][:, None, :]
        query = torch.full((len(self.order), width), -1, dtype=torch.long, device=rows.device)
        query[self.row, self.column] = index
        query_start = torch.zeros_like(query)
        query_start[self.row, self.column] = starts
        query, query_start = query[:, :, None], query_start[:, :, None]
        self.mask = ((held >= 0) & (held <= query) & (held_start > query_start - cache.context)
                     | (query < 0))[:, None]  # [R, 1, width, capacity]; padding sees all
        self.width = width

    def layer(self, layer: int):  # -> Attend
        cache = self.cache

        def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor
                   ) -> torch.Tensor:
            """``[heads, M, head_dim]`` each, for the new positions, packed."""
            keys, values = cache.keys[layer], cache.values[layer]
            if keys is None or values is None:
                shape = (len(cache.held), key.shape[0], cache.capacity, key.shape[-1])
                keys, values = key.new_zeros(shape), value.new_zeros(shape)
                cache.keys[layer], cache.values[layer] = keys, values
            keys[self.rows, :, self.slot] = key.transpose(0, 1)
            values[self.rows, :, self.slot] = value.transpose(0, 1)
            padded = query.new_zeros(len(self.order), self.width, *query.shape[::2])
            padded[self.row, self.column] = query.transpose(0, 1)
            y = F.scaled_dot_product_attention(padded.transpose(1, 2), keys[self.order],
                                               values[self.order], attn_mask=self.mask)
            return y.transpose(1, 2)[self.row, self.column].transpose(0, 1)

        return attend

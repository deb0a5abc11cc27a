"""The blt-entropy model: a causal byte-level transformer (nanoGPT-style, one file).

Input: byte values ``idx`` (LongTensor ``[batch, time]``, 0-255). Output: logits
``[batch, time, 256]`` where position ``t`` predicts byte ``t + 1`` from bytes ``<= t``.
Pre-norm blocks, fused QKV projection, ``scaled_dot_product_attention(is_causal=True)``,
rotary or learned absolute positions, optional tied input/output embeddings, optional
hash n-gram embeddings (:mod:`.hash_embeddings`).

With rotary positions the model also keeps a key/value cache (``new_cache`` and
``forward_cached``, the optional methods of the model contract in
:mod:`neat_core.scoring`): it scores long inputs and generates bytes computing each
position once, every byte seeing the ``block_size`` bytes that end at it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neat_core.errors import UsageError

from .config import BltEntropyConfig
from .hash_embeddings import HashNgramEmbedding

VOCAB_SIZE = 256  # one token per byte value
ROPE_BASE = 10000.0


def rope_tables(head_dim: int, length: int, start: int = 0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles of positions ``start..start+length-1``, each
    ``[length, head_dim // 2]``, on the CPU.

    Computed in float64 and rounded once, so far positions (a cache sliding over a long
    input) keep the relative angles that near ones have.
    """
    inv_freq = ROPE_BASE ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    positions = torch.arange(start, start + length, dtype=torch.float64)
    angles = torch.outer(positions, inv_freq)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (first half, second half) of the last dim of ``x [B, H, T, D]``."""
    x1, x2 = x.chunk(2, dim=-1)
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)  # autocast may have lowered q and k
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        self.num_heads = config.num_heads
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=False)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        batch, time, channels = x.shape
        q, k, v = (self.qkv(x).view(batch, time, 3, self.num_heads, -1)
                   .permute(2, 0, 3, 1, 4).unbind(0))  # each [B, H, T, D]
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=self.dropout if self.training else 0.0)
        else:
            k, v, mask = cache.store(layer, k, v)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).reshape(batch, time, channels)
        return self.resid_dropout(self.proj(y))


class FeedForward(nn.Module):
    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        width = config.ffn_size or 4 * config.hidden_size
        self.up = nn.Linear(config.hidden_size, width, bias=False)
        self.down = nn.Linear(width, config.hidden_size, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(F.gelu(self.up(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + ffn(norm(x))."""

    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(config.hidden_size)
        self.attn = CausalSelfAttention(config)
        self.ffn_norm = nn.LayerNorm(config.hidden_size)
        self.ffn = FeedForward(config)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), rope, cache, layer)
        return x + self.ffn(self.ffn_norm(x))


class KVCache:
    """Rotated keys and values of the last bytes each batch row has seen, per layer.

    Each layer's keys and values are a ring of ``capacity`` slots, ``[B, H, slots, D]``:
    position ``p`` lives in slot ``p % capacity``, so a call writes only its new
    positions. The capacity is ``block_size - 1`` plus the longest call so far.
    """

    def __init__(self, batch_size: int, block_size: int, layers: int,
                 history: int = 0) -> None:
        self.batch_size, self.block_size = batch_size, block_size
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.position = 0  # bytes seen so far: the absolute position of the next one
        self.capacity = 0
        self._mask = torch.empty(0)
        self.history = history  # raw bytes kept for the hash n-grams of the next call
        self._recent: torch.Tensor | None = None
        # how far back a result depends on earlier bytes: each layer attends block_size
        # - 1 further back, and the first layer's n-grams history more
        self.reach = layers * (block_size - 1) + history

    def with_history(self, idx: torch.Tensor) -> torch.Tensor:
        """The last ``history`` bytes seen, then ``idx``; keeps the new last ones."""
        full = idx if self._recent is None else torch.cat((self._recent, idx), dim=1)
        self._recent = full[:, full.shape[1] - min(self.history, full.shape[1]):]
        return full

    def advance(self, time: int, device: torch.device) -> int:
        """Make room for ``time`` new positions; returns the first one's position."""
        start, end = self.position, self.position + time
        if self.block_size - 1 + time > self.capacity:
            self._grow(self.block_size - 1 + time)
        slot = torch.arange(self.capacity, device=device)
        held = end - 1 - (end - 1 - slot) % self.capacity  # position in each slot then
        query = torch.arange(start, end, device=device)[:, None]
        distance = query - held[None, :]
        # new byte i sees the block_size bytes that end at it
        self._mask = (distance >= 0) & (distance < self.block_size) & (held >= 0)
        self.position = end
        return start

    def store(self, layer: int, keys: torch.Tensor, values: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Write a layer's new keys and values; all of them, and the attention mask."""
        ring_keys, ring_values = self.keys[layer], self.values[layer]
        if ring_keys is None or ring_values is None:
            shape = (*keys.shape[:2], self.capacity, keys.shape[3])
            ring_keys, ring_values = keys.new_zeros(shape), values.new_zeros(shape)
            self.keys[layer], self.values[layer] = ring_keys, ring_values
        time = keys.shape[2]
        first = (self.position - time) % self.capacity  # slot of the first new position
        split = min(time, self.capacity - first)  # the rest wraps around to slot 0
        for ring, new in ((ring_keys, keys), (ring_values, values)):
            ring[:, :, first:first + split] = new[:, :, :split]
            ring[:, :, :time - split] = new[:, :, split:]
        return ring_keys, ring_values, self._mask

    def _grow(self, capacity: int) -> None:
        """Re-lay the rings out for ``capacity`` slots, keeping what they hold."""
        kept = torch.arange(max(0, self.position - self.block_size + 1), self.position)
        for ring in (self.keys, self.values):
            for layer, old in enumerate(ring):
                if old is not None:
                    new = old.new_zeros((*old.shape[:2], capacity, old.shape[3]))
                    slots = kept.to(old.device)
                    new[:, :, slots % capacity] = old[:, :, slots % self.capacity]
                    ring[layer] = new
        self.capacity = capacity


class EntropyModel(nn.Module):
    """Causal decoder-only transformer over the 256 byte values."""

    rope_cos: torch.Tensor  # buffers of the rotary positions (rope only)
    rope_sin: torch.Tensor

    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        self.config = config
        self.head_dim = config.hidden_size // config.num_heads
        self.embed = nn.Embedding(VOCAB_SIZE, config.hidden_size)
        self.hash_embed = (HashNgramEmbedding(config.hash_ngrams, config.hash_buckets,
                                              config.hidden_size)
                           if config.hash_ngrams else None)
        self.pos_embed = (nn.Embedding(config.block_size, config.hidden_size)
                          if config.positional == "learned" else None)
        if config.positional == "rope":
            cos, sin = rope_tables(self.head_dim, config.block_size)
            # not persistent: derived from the config, so not part of the checkpoint
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_layers))
        self.final_norm = nn.LayerNorm(config.hidden_size)
        self.head = nn.Linear(config.hidden_size, VOCAB_SIZE, bias=False)
        if config.tie_weights:
            self.head.weight = self.embed.weight
        self.apply(self._init_weights)
        # GPT-2 style: scale the residual projections by depth
        for name, param in self.named_parameters():
            if name.endswith(("attn.proj.weight", "ffn.down.weight")):
                nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.num_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self) -> int:
        """Trainable parameters, counting tied weights once."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_byte(self) -> dict[str, float]:
        """Analytic FLOPs per byte at a full context (the model contract's optional
        method; formulas in :mod:`.flops` and docs/blt.md)."""
        from .flops import entropy_model_flops

        return entropy_model_flops(self.config)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Next-byte logits ``[B, T, 256]``; with ``targets [B, T]`` also the mean
        cross-entropy loss in nats, as ``(logits, loss)``."""
        time = idx.shape[1]
        if time > self.config.block_size:
            raise UsageError(f"input of {time} bytes is longer than model.block_size "
                             f"({self.config.block_size})",
                             hint="score long inputs with neat_core.scoring.compute_entropies, "
                                  "which slides a window over them")
        x = self.embed(idx)
        if self.hash_embed is not None:
            x = x + self.hash_embed(idx)
        rope = None
        if self.pos_embed is not None:
            x = x + self.pos_embed(torch.arange(time, device=idx.device))
        else:
            rope = (self.rope_cos[:time], self.rope_sin[:time])
        x = self.dropout(x)
        for block in self.blocks:
            x = block(x, rope)
        logits = self.head(self.final_norm(x))
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.view(-1, VOCAB_SIZE), targets.reshape(-1))
        return logits, loss

    # --- the key/value cache (rotary positions only) ----------------------------------

    def new_cache(self, batch_size: int) -> KVCache | None:
        """An empty cache for ``batch_size`` rows; None with learned positions.

        Learned absolute positions cannot slide: a byte's keys depend on its place in
        the window, which changes as the window moves, so they would all be recomputed.
        """
        if self.pos_embed is not None:
            return None
        history = max(self.hash_embed.sizes) - 1 if self.hash_embed is not None else 0
        return KVCache(batch_size, self.config.block_size, len(self.blocks), history)

    def forward_cached(self, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits ``[B, t, 256]`` of ``t`` new bytes that follow those ``cache`` holds.

        New byte ``i`` is predicted from the ``block_size`` bytes that end at it (fewer
        at the start), as ``forward`` predicts the last byte of that window; the bytes
        are then appended to ``cache``, which keeps the last ``block_size - 1``.
        """
        batch, time = idx.shape
        if batch != cache.batch_size:
            raise UsageError(f"a batch of {batch} rows for a cache of "
                             f"{cache.batch_size}", hint="make a cache per batch size")
        start = cache.advance(time, idx.device)
        rope = tuple(table.to(idx.device) for table in rope_tables(self.head_dim, time, start))
        x = self.embed(idx)
        if self.hash_embed is not None:  # the n-grams reach back into earlier calls
            x = x + self.hash_embed(cache.with_history(idx))[:, -time:]
        for layer, block in enumerate(self.blocks):
            x = block(x, rope, cache, layer)
        return self.head(self.final_norm(x))

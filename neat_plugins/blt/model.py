"""The blt-entropy model: a causal byte-level transformer (nanoGPT-style, one file).

Input: byte values ``idx`` (LongTensor ``[batch, time]``, 0-255). Output: logits
``[batch, time, 256]`` where position ``t`` predicts byte ``t + 1`` from bytes ``<= t``.
Pre-norm blocks, fused QKV projection, ``scaled_dot_product_attention(is_causal=True)``,
rotary or learned absolute positions, optional tied input/output embeddings, optional
hash n-gram embeddings (:mod:`.hash_embeddings`).
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


def rope_tables(head_dim: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles, each ``[length, head_dim // 2]``."""
    inv_freq = ROPE_BASE ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    return angles.cos(), angles.sin()


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

    def forward(self, x: torch.Tensor,
                rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        batch, time, channels = x.shape
        q, k, v = (self.qkv(x).view(batch, time, 3, self.num_heads, -1)
                   .permute(2, 0, 3, 1, 4).unbind(0))  # each [B, H, T, D]
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
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

    def forward(self, x: torch.Tensor,
                rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), rope)
        return x + self.ffn(self.ffn_norm(x))


class EntropyModel(nn.Module):
    """Causal decoder-only transformer over the 256 byte values."""

    rope_cos: torch.Tensor  # buffers of the rotary positions (rope only)
    rope_sin: torch.Tensor

    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(VOCAB_SIZE, config.hidden_size)
        self.hash_embed = (HashNgramEmbedding(config.hash_ngrams, config.hash_buckets,
                                              config.hidden_size)
                           if config.hash_ngrams else None)
        self.pos_embed = (nn.Embedding(config.block_size, config.hidden_size)
                          if config.positional == "learned" else None)
        if config.positional == "rope":
            cos, sin = rope_tables(config.hidden_size // config.num_heads, config.block_size)
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

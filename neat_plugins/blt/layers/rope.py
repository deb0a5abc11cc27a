"""Rotary positions: the angle tables and the rotation of queries and keys.

Two pairings of each head's features, chosen by a layout (:data:`PAIRINGS`):

- ``halves`` (NEAT): feature ``i`` pairs with feature ``i + D/2``; the angle tables are
  computed in float64 and rounded once, so far positions (a cache sliding over a long
  input) keep the relative angles that near ones have.
- ``interleaved`` (the reference layout): features ``2i`` and ``2i + 1`` pair; the
  tables are computed in float32 as transformers' ``BltRotaryEmbedding`` computes them,
  so logits match transformers' at every position.

Attention only calls ``rope.rotate``.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
from torch import nn

ROPE_BASE = 10000.0


def rope_tables(head_dim: int, length: int, start: int = 0, theta: float = ROPE_BASE
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles of positions ``start..start+length-1``, each
    ``[length, head_dim // 2]``, on the CPU (float64, rounded once)."""
    return angle_tables(head_dim, torch.arange(start, start + length), theta)


def angle_tables(head_dim: int, positions: torch.Tensor, theta: float = ROPE_BASE
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles of any ``positions [n]``, ``[n, head_dim // 2]``
    each, on their device (computed as :func:`rope_tables` computes them)."""
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64,
                                       device=positions.device) / head_dim)
    angles = torch.outer(positions.to(torch.float64), inv_freq)
    return angles.cos().float(), angles.sin().float()


def float32_angle_tables(head_dim: int, positions: torch.Tensor, theta: float = ROPE_BASE
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """The same tables computed in float32 throughout, as transformers computes them."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float,
                                             device=positions.device) / head_dim))
    angles = positions.float()[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


class HalvesRope(NamedTuple):
    """The angles of some positions, ``[positions, head_dim // 2]`` each; pairs are
    (first half, second half) of each head's features."""

    cos: torch.Tensor
    sin: torch.Tensor

    def rotate(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate pairs (first half, second half) of the last dim of ``x [B, H, T, D]``."""
        x1, x2 = x.chunk(2, dim=-1)
        cos, sin = self.cos.to(x.dtype), self.sin.to(x.dtype)  # autocast may lower q and k
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class InterleavedRope(NamedTuple):
    """The angles of some positions; pairs are features ``(2i, 2i + 1)``."""

    cos: torch.Tensor
    sin: torch.Tensor

    def rotate(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate pairs ``(2i, 2i + 1)`` of the last dim of ``x [B, H, T, D]``."""
        even, odd = x[..., 0::2], x[..., 1::2]
        cos, sin = self.cos.to(x.dtype), self.sin.to(x.dtype)
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


Rope = HalvesRope | InterleavedRope  # what attention is given: anything with rotate

# pairing -> (its rotation, how its tables are computed)
Tables = Callable[[int, torch.Tensor, float], tuple[torch.Tensor, torch.Tensor]]
PAIRINGS: dict[str, tuple[type[HalvesRope] | type[InterleavedRope], Tables]] = {
    "halves": (HalvesRope, angle_tables),
    "interleaved": (InterleavedRope, float32_angle_tables)}


class Rotary(nn.Module):
    """Rotary tables for up to ``length`` positions (not saved: derived from the config)."""

    cos: torch.Tensor
    sin: torch.Tensor

    def __init__(self, head_dim: int, length: int, theta: float = ROPE_BASE,
                 pairing: str = "halves") -> None:
        super().__init__()
        self.head_dim, self.theta = head_dim, theta
        self.rope, self.tables = PAIRINGS[pairing]
        cos, sin = self.tables(head_dim, torch.arange(length), theta)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, length: int) -> Rope:
        """The first ``length`` positions."""
        return self.rope(self.cos[:length], self.sin[:length])

    def of(self, positions: torch.Tensor) -> Rope:
        """Any ``positions [n]`` (from the table while they are in it)."""
        if positions.numel() and int(positions.max()) < self.cos.shape[0]:
            return self.rope(self.cos[positions], self.sin[positions])
        return self.rope(*self.tables(self.head_dim, positions, self.theta))

    def at(self, start: int, length: int) -> Rope:
        """Positions ``start..start+length-1``, wherever they are (computed past the
        table, as the table was)."""
        if start + length <= self.cos.shape[0]:
            return self.rope(self.cos[start:start + length], self.sin[start:start + length])
        cos, sin = self.tables(self.head_dim, torch.arange(start, start + length), self.theta)
        return self.rope(cos.to(self.cos.device), sin.to(self.sin.device))

"""Rotary positions: the angle tables and the rotation of queries and keys.

Pairs are (first half, second half) of each head's features. Another pairing (e.g.
interleaved) would be another :class:`Rope` with its own ``rotate``, built by
:class:`Rotary`; attention only calls ``rope.rotate``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

ROPE_BASE = 10000.0


def rope_tables(head_dim: int, length: int, start: int = 0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles of positions ``start..start+length-1``, each
    ``[length, head_dim // 2]``, on the CPU.

    Computed in float64 and rounded once, so far positions (a cache sliding over a long
    input) keep the relative angles that near ones have.
    """
    return angle_tables(head_dim, torch.arange(start, start + length))


def angle_tables(head_dim: int, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles of any ``positions [n]``, ``[n, head_dim // 2]``
    each, on their device (computed as :func:`rope_tables` computes them)."""
    inv_freq = ROPE_BASE ** (-torch.arange(0, head_dim, 2, dtype=torch.float64,
                                           device=positions.device) / head_dim)
    angles = torch.outer(positions.to(torch.float64), inv_freq)
    return angles.cos().float(), angles.sin().float()


class Rope(NamedTuple):
    """The angles of some positions, ``[positions, head_dim // 2]`` each."""

    cos: torch.Tensor
    sin: torch.Tensor

    def rotate(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate pairs (first half, second half) of the last dim of ``x [B, H, T, D]``."""
        x1, x2 = x.chunk(2, dim=-1)
        cos, sin = self.cos.to(x.dtype), self.sin.to(x.dtype)  # autocast may lower q and k
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class Rotary(nn.Module):
    """Rotary tables for up to ``length`` positions (not saved: derived from the config)."""

    cos: torch.Tensor
    sin: torch.Tensor

    def __init__(self, head_dim: int, length: int) -> None:
        super().__init__()
        self.head_dim = head_dim
        cos, sin = rope_tables(head_dim, length)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, length: int) -> Rope:
        """The first ``length`` positions."""
        return Rope(self.cos[:length], self.sin[:length])

    def of(self, positions: torch.Tensor) -> Rope:
        """Any ``positions [n]`` (from the table while they are in it)."""
        if positions.numel() and int(positions.max()) < self.cos.shape[0]:
            return Rope(self.cos[positions], self.sin[positions])
        return Rope(*angle_tables(self.head_dim, positions))

    def at(self, start: int, length: int) -> Rope:
        """Positions ``start..start+length-1``, wherever they are (computed past the
        table, as the table was)."""
        if start + length <= self.cos.shape[0]:
            return Rope(self.cos[start:start + length], self.sin[start:start + length])
        cos, sin = rope_tables(self.head_dim, length, start)
        return Rope(cos.to(self.cos.device), sin.to(self.sin.device))

"""The normalisation layers a :class:`~.spec.BlockSpec` may name."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .spec import BlockSpec


class RMSNorm(nn.Module):
    """``weight * x / sqrt(mean(x^2) + eps)``, normalised in float32 whatever the input's
    precision and cast back before the weight, as transformers' ``BltRMSNorm`` does
    (so mixed precision rounds the same way there and here)."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wide = x.float()
        normed = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * normed.to(x.dtype)


NORMS: dict[str, Callable[..., nn.Module]] = {"layer": nn.LayerNorm, "rms": RMSNorm}


def make_norm(spec: BlockSpec) -> nn.Module:
    """The norm of ``spec.norm`` over ``spec.dim`` features."""
    return NORMS[spec.norm](spec.dim, eps=spec.norm_eps)

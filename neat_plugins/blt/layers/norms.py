"""The normalisation layers a :class:`~.spec.BlockSpec` may name."""

from __future__ import annotations

from typing import Callable

from torch import nn

from .spec import BlockSpec

NORMS: dict[str, Callable[[int], nn.Module]] = {"layer": nn.LayerNorm}


def make_norm(spec: BlockSpec) -> nn.Module:
    """The norm of ``spec.norm`` over ``spec.dim`` features."""
    return NORMS[spec.norm](spec.dim)

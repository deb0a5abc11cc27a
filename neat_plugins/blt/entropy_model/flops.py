"""Analytic FLOPs per byte of the blt-entropy model (conventions in
:mod:`..layers.flops`; formulas in docs/blt.md, "FLOPs")."""

from __future__ import annotations

from ..layers.flops import TRAINING_FACTOR, block_flops, mean_keys
from ..layers.spec import VOCAB_SIZE
from .settings import BltEntropyConfig


def forward_flops_per_position(config: BltEntropyConfig, length: int,
                               window: int | None = None) -> float:
    """The blt-entropy model's forward FLOPs per position of a ``length``-byte input
    in which each position attends to at most ``window`` positions (default: all before
    it)."""
    dim = config.hidden_size
    ffn = config.ffn_size or 4 * dim
    return (config.num_layers * block_flops(dim, ffn, mean_keys(length, window))
            + 2 * dim * VOCAB_SIZE)


def entropy_model_flops(config: BltEntropyConfig) -> dict[str, float]:
    """FLOPs per byte of the blt-entropy model over full ``block_size`` windows."""
    forward = forward_flops_per_position(config, config.block_size)
    return {"forward": forward, "training": TRAINING_FACTOR * forward}

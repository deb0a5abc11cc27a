"""Analytic FLOPs per byte of the blt-entropy model (conventions in
:mod:`..layers.flops`; formulas in docs/blt.md, "FLOPs")."""

from __future__ import annotations

from ..layers.flops import TRAINING_FACTOR, block_flops, mean_keys
from ..layers.spec import LAYOUTS
from ..layers.tokens import VOCABULARIES
from .settings import BltEntropyConfig, block_spec


def forward_flops_per_position(config: BltEntropyConfig, length: int,
                               window: int | None = None) -> float:
    """The blt-entropy model's forward FLOPs per position of a ``length``-byte input
    in which each position attends to at most ``window`` positions (default: all before
    it; ``model.attention_window`` limits it further)."""
    spec = block_spec(config)
    vocabulary = VOCABULARIES[LAYOUTS[config.layout].vocabulary].size
    limits = [w for w in (window, config.attention_window) if w is not None]
    keys = mean_keys(length, min(limits) if limits else None)
    return (config.num_layers * block_flops(spec.dim, spec.ffn_size, keys,
                                            spec.feed_forward == "swiglu")
            + 2 * spec.dim * vocabulary)


def entropy_model_flops(config: BltEntropyConfig) -> dict[str, float]:
    """FLOPs per byte of the blt-entropy model over full ``block_size`` windows."""
    forward = forward_flops_per_position(config, config.block_size)
    return {"forward": forward, "training": TRAINING_FACTOR * forward}

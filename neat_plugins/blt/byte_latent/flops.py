"""Analytic FLOPs per byte of the blt-entropy model and the BLT (docs/blt.md, "FLOPs").

Conventions: a multiply-add is 2 FLOPs; only matrix products count (embedding and hash
lookups, norms, softmax, activations and pooling are left out); attention counts the
query-key pairs the masks allow (causal, windowed, own patch), not the masked-out work a
dense kernel may still do. A training step costs 3x the forward pass (the backward pass
about twice the forward). The BLT's frozen entropy model only runs forward and is
listed on its own, outside ``forward`` and ``training``.
"""

from __future__ import annotations

import math

from .blt_config import BltConfig
from .config import BltEntropyConfig

VOCAB = 256
TRAINING_FACTOR = 3


def mean_keys(length: float, window: float | None = None) -> float:
    """Mean number of positions a query attends to under causal attention over ``length``
    positions, each seeing at most ``window`` (itself included)."""
    w = length if window is None else min(window, length)
    return (w * (w + 1) / 2 + (length - w) * w) / length


def block_flops(dim: int, ffn: int, keys: float) -> float:
    """One pre-norm transformer block, per position: Q, K, V and output projections
    (8 d^2), the feed-forward layer (4 d f), and scores plus weighted sum (4 d keys)."""
    return 8 * dim * dim + 4 * dim * ffn + 4 * dim * keys


def forward_flops_per_position(config: BltEntropyConfig, length: int) -> float:
    """The blt-entropy model's forward FLOPs per position of a ``length``-byte input."""
    dim = config.hidden_size
    ffn = config.ffn_size or 4 * dim
    return config.num_layers * block_flops(dim, ffn, mean_keys(length)) + 2 * dim * VOCAB


def entropy_model_flops(config: BltEntropyConfig) -> dict[str, float]:
    """FLOPs per byte of the blt-entropy model over full ``block_size`` windows."""
    forward = forward_flops_per_position(config, config.block_size)
    return {"forward": forward, "training": TRAINING_FACTOR * forward}


def static_patch_size(config: BltConfig) -> float:
    """Mean bytes per patch of static patching over a full window."""
    size = min(config.patch_size, config.max_patch_size or config.patch_size)
    return config.block_size / math.ceil(config.block_size / size)


def blt_forward_flops(config: BltConfig, mean_patch_size: float) -> float:
    """The BLT's forward FLOPs per byte over full windows whose patches average
    ``mean_patch_size`` bytes (entropy model excluded)."""
    local, k, latent = config.local_size, config.queries_per_patch, config.latent_size
    length = config.block_size
    local_keys = mean_keys(length, config.local_window)
    patches = length / mean_patch_size  # latent positions per window
    per_byte = (
        config.encoder_layers * block_flops(local, 4 * local, local_keys)
        + 4 * local * local + 4 * local * k  # pooling: keys/values of each byte, k queries
        + config.decoder_layers * (block_flops(local, 4 * local, local_keys)
                                   + 4 * local * local + 4 * local * k)  # cross-attention
        + 2 * local * VOCAB)
    per_patch = (
        6 * k * local * local  # pooling: k queries from the pooled state, query and output
        + 2 * k * local * latent  # into the latent transformer
        + config.latent_layers * block_flops(latent, 4 * latent, mean_keys(patches))
        + 2 * latent * k * local  # out of it: k vectors per patch for the decoder
        + config.decoder_layers * 4 * k * local * local)  # their keys and values
    return per_byte + per_patch / mean_patch_size

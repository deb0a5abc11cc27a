"""Analytic FLOPs of the shared layers (docs/blt.md, "FLOPs"); each model adds its own
parts (:mod:`..entropy_model.flops`, :mod:`..byte_latent.flops`).

Conventions: a multiply-add is 2 FLOPs; only matrix products count (embedding and hash
lookups, norms, softmax, activations and pooling are left out); attention counts the
query-key pairs the masks allow (causal, windowed, own patch), not the masked-out work a
dense kernel may still do. A training step costs 3x the forward pass (the backward pass
about twice the forward).
"""

from __future__ import annotations

TRAINING_FACTOR = 3


def mean_keys(length: float, window: float | None = None) -> float:
    """Mean number of positions a query attends to under causal attention over ``length``
    positions, each seeing at most ``window`` (itself included)."""
    w = length if window is None else min(window, length)
    return (w * (w + 1) / 2 + (length - w) * w) / length


def block_flops(dim: int, ffn: int, keys: float, gated: bool = False) -> float:
    """One pre-norm transformer block, per position: Q, K, V and output projections
    (8 d^2), the feed-forward layer (4 d f; 6 d f for SwiGLU's three matrices), and
    scores plus weighted sum (4 d keys)."""
    return 8 * dim * dim + (6 if gated else 4) * dim * ffn + 4 * dim * keys

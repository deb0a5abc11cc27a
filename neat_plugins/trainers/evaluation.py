"""Next-byte loss, and evaluation on fixed batches of the eval split."""

from __future__ import annotations

import math
from typing import Any, Callable, ContextManager

import numpy as np
import torch
import torch.nn.functional as F

LN2 = math.log(2.0)


def next_byte_loss(model: torch.nn.Module, batch: torch.Tensor,
                   reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy (nats) of predicting byte t+1 from bytes <= t."""
    inputs, targets = batch[:, :-1].long(), batch[:, 1:].long()
    logits = model(inputs)
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1),
                           reduction=reduction)


def loss_metrics(loss: float, prefix: str = "") -> dict[str, float]:
    """Loss in nats with bits per byte and perplexity."""
    return {f"{prefix}loss": loss, f"{prefix}bpb": loss / LN2,
            f"{prefix}perplexity": math.exp(min(loss, 700.0))}


@torch.no_grad()
def evaluate_batches(model: torch.nn.Module, batches: list[np.ndarray], device: torch.device,
                     autocast: Callable[[], ContextManager[Any]]) -> tuple[float, int]:
    """(sum of losses in nats, number of predicted bytes) over ``batches`` of windows."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for array in batches:
            batch = torch.from_numpy(array).to(device)
            with autocast():
                total += next_byte_loss(model, batch, reduction="sum").item()
            count += batch.size(0) * (batch.size(1) - 1)
    finally:
        model.train(was_training)
    return total, count

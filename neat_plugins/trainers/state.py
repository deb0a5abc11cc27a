"""Optimizer and RNG state for exact resume.

Checkpoints store nested dicts, lists and tuples of JSON scalars, tensors and numpy
arrays without pickling (:mod:`neat_core.checkpoint`), which covers these states as
torch, numpy and Python return them.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> None:
    """Restore moments and step counts; hyperparameters stay those of the current config."""
    current = [{k: v for k, v in group.items() if k != "params"}
               for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, settings in zip(optimizer.param_groups, current):
        group.update(settings)


def rng_state(device: torch.device) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
             "python": random.getstate()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)

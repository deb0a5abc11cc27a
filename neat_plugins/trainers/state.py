"""Optimizer and RNG state for exact resume.

Checkpoints store nested dicts, lists and tuples of JSON scalars, tensors and numpy
arrays without pickling (:mod:`neat_core.checkpoint`), which covers these states as
torch, numpy and Python return them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neat_core.api import CheckpointError


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


def check_training_state(state: Any, path: Path) -> None:
    """A CheckpointError naming the first field of ``state`` that the standard trainer
    cannot resume from (checksums catch damage; this catches a state another tool or a
    hand edit wrote consistently)."""
    fields: dict[str, tuple[type, ...]] = {"step": (int,), "elapsed_s": (int, float),
                                           "best": (dict,), "optimizer": (dict,),
                                           "ranks": (list,)}
    for name, kinds in fields.items():
        value = state.get(name) if isinstance(state, dict) else None
        if not isinstance(value, kinds) or isinstance(value, bool) or (
                isinstance(value, int) and value < 0):
            raise CheckpointError(f"the training state of {path} is damaged: field '{name}' "
                                  f"is {type(value).__name__ if value is not None else 'missing'}",
                                  hint="use another checkpoint of the run")
    if not all(isinstance(rank, dict) and {"rng", "sampler"} <= rank.keys()
               for rank in state["ranks"]) or not {"eval_loss", "step"} <= state["best"].keys():
        raise CheckpointError(f"the training state of {path} is damaged: 'ranks' or 'best' "
                              f"lacks a field", hint="use another checkpoint of the run")

"""Settings a model fits to the training data before the first step of a new run (the
model contract's optional ``calibrate(windows)``; e.g. a BLT's entropy threshold for a
target patch size). Imports torch: trainers import it when they build their model."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..config.sections import to_dict
from ..config.tree import flatten
from ..data import BatchSampler
from ..data.corpus import Corpus

CALIBRATION_WINDOWS = 128  # windows of the training split a model calibrates on


def calibrate_model(model: Any, corpus: Corpus, *, block_size: int, seed: int,
                    device: torch.device) -> tuple[Any, dict[str, Any]] | None:
    """The model config ``model.calibrate(windows)`` returns for windows of ``corpus``
    (drawn with ``seed``, the same on every process), and the settings it changed as
    ``{"model.key": value}``; None when the model has no ``calibrate``."""
    method = getattr(model, "calibrate", None)
    if not callable(method):
        return None
    before = flatten(to_dict(model.config))
    sampler = BatchSampler(corpus, block_size=block_size, batch_size=CALIBRATION_WINDOWS,
                           seed=seed)
    windows = torch.from_numpy(sampler.next_batch()[:, :-1].astype(np.int64)).to(device)
    with torch.no_grad():
        config = method(windows)
    after = flatten(to_dict(config))
    return config, {f"model.{key}": value for key, value in after.items()
                    if before.get(key) != value}

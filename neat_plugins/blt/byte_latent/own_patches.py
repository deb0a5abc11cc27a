"""The patches a BLT cuts, for ``neat patch`` and the analysers (the optional
``patching()`` method of the model contract, :class:`neat_core.api.ModelPatching`).

The patches are the model's: its mode with its settings (static, space, or its entropy
model with its threshold), by the rule its ``forward`` and its cache apply to a stream
(:mod:`.patcher`), never a threshold over the BLT's own output entropies. The entropy
model's entropies come from :func:`neat_core.scoring.compute_entropies`, by the one
context rule of its cache, so any input length and any split into pieces give the same
patches.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from neat_core.api import compute_entropies
from neat_core.scoring import as_byte_array

from .settings import own_settings

if TYPE_CHECKING:
    from .model import ByteLatentTransformer


class ModelPatches:
    """What the tools read of a BLT's patching."""

    def __init__(self, model: ByteLatentTransformer) -> None:
        self.model = model
        config = model.config
        self.settings: dict[str, Any] = own_settings(config)
        entropy_model = model.patcher.entropy_model
        cache = entropy_model.new_cache(1) if entropy_model is not None else None
        # where a patch starts depends on the entropies of the two bytes before and on
        # the stream since the block it is in started (with its entropies' reach)
        self.context = (cache.reach if cache is not None else 0) + 2 + config.block_size
        self.align = (math.lcm(config.block_size, config.patch_size)
                      if config.patching == "static" else config.block_size)

    def starts(self, data: bytes | np.ndarray, *, batch_size: int = 16
               ) -> tuple[np.ndarray, np.ndarray | None]:
        """Where patches start in ``data`` read as one stream (bool, one per byte), and
        the entropies (bits) that placed them, or None for static and space patches."""
        array = as_byte_array(data)
        device = next(self.model.parameters()).device
        entropies = None
        given = None
        entropy_model = self.model.patcher.entropy_model
        if entropy_model is not None and len(array):
            entropies = compute_entropies(entropy_model, array, batch_size=batch_size,
                                          device=device)
            given = torch.from_numpy(entropies)[None].to(device)
        idx = torch.from_numpy(array.astype(np.int64))[None].to(device)
        with torch.inference_mode():
            starts = self.model.patcher.starts(idx, given)
        return starts[0].cpu().numpy(), entropies

"""Patching inside the BLT: where each patch of a byte window starts.

The rules are those of :mod:`..patching.rules`, the functions ``neat patch`` runs,
called here on batched tensors on the model's device, so the model and ``neat patch``
cut the same patches from the same entropies (tests/test_blt_patcher_rules.py). Every
rule is causal: whether byte ``t`` starts a patch depends on bytes ``0..t`` only
(entropy rules on ``H(t-1)``, i.e. bytes ``0..t-1``; ``max_patch_size`` is greedy), so a
byte's patch, and everything the model computes for it, never depends on later bytes.
What ``neat patch`` offers and the model does not, because it needs later bytes:
``min_patch_size`` and calibration on the whole input. What the model adds:
``patches_per_window`` keeps the first ``P`` patches of a window (later boundaries are
dropped) and leaves missing ones empty, so the latent transformer always gets ``P``.

The entropy model is frozen: it runs without gradients, in eval mode, in float32
(outside autocast, so patches do not depend on the precision the BLT trains in), with a
sliding window when the BLT's context is longer than its own.
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
import torch
from torch import nn

from neat_core.api import MAX_BITS
from neat_core.errors import CheckpointError, UsageError
from neat_core.scoring import plan_windows

from ..entropy_model.flops import forward_flops_per_position
from ..entropy_model.model import EntropyModel
from ..patching.rules import SPACE_LIKE, keep_first, mode_starts, split_long
from .settings import ENTROPY_MODES, BltConfig


def patch_ids(starts: torch.Tensor) -> torch.Tensor:
    """Index of each byte's patch, ``[batch, time]``, from the start mask."""
    return starts.long().cumsum(-1) - 1


class Patcher(nn.Module):
    """Patch starts of byte windows ``[batch, time]`` for a BLT config."""

    space_like: torch.Tensor  # buffer: which byte values count as space in "space" mode

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("space_like", torch.from_numpy(SPACE_LIKE.copy()),
                             persistent=False)
        self.entropy_model: EntropyModel | None = None
        self.entropy_ready = True
        self._missing_weights = ""
        if config.patching in ENTROPY_MODES:
            self.entropy_model = EntropyModel(config.entropy).requires_grad_(False).eval()
            self.entropy_ready = False
            self.register_load_state_dict_post_hook(_mark_loaded)
        self._plans: dict[tuple[int, str], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def train(self, mode: bool = True) -> Patcher:
        super().train(mode)
        if self.entropy_model is not None:
            self.entropy_model.eval()  # frozen: no dropout, ever
        return self

    # --- the entropy model's weights -----------------------------------------------------

    def copy_entropy_weights(self) -> None:
        """Copy the weights of ``entropy_checkpoint`` when it holds the model that
        ``config.entropy`` describes; otherwise they must come from ``load_state_dict``
        (a BLT checkpoint holds them), and a forward pass before that is an error."""
        if self.entropy_model is None:
            return
        from neat_core import load_checkpoint

        path = Path(str(self.config.entropy_checkpoint)).expanduser()
        if not path.exists():
            self._missing_weights = f"{path} does not exist"
            return
        saved = load_checkpoint(path)
        if attrs.evolve(saved.config.model, name="") != attrs.evolve(self.config.entropy,
                                                                      name=""):
            self._missing_weights = (f"{path} holds another model than model.entropy "
                                     f"describes")
            return
        self.entropy_model.load_state_dict(saved.state_dict)
        self.entropy_ready = True

    def _check_ready(self) -> None:
        """Training needs the real entropy weights. Eval-mode passes may run before they
        arrive: a BLT rebuilt from its checkpoint is checked with one forward pass before
        ``load_state_dict`` restores them."""
        if not self.entropy_ready and self.training:
            raise CheckpointError(
                f"the BLT's entropy model has no weights: model.entropy_checkpoint "
                f"{self._missing_weights}",
                hint="point model.entropy_checkpoint at the trained blt-entropy checkpoint "
                     "(to build a new BLT), or load a BLT checkpoint, which holds them")

    # --- entropies and starts -------------------------------------------------------------

    @torch.no_grad()
    def entropies(self, idx: torch.Tensor) -> torch.Tensor:
        """Next-byte entropy in bits of each position, ``[batch, time]`` (float32)."""
        self._check_ready()
        assert self.entropy_model is not None
        batch, time = idx.shape
        window = min(time, self.entropy_model.config.block_size)
        index, owner, offset = self._plan(time, window, idx.device)
        with torch.autocast(idx.device.type, enabled=False):
            values = self.entropy_model.entropies(idx[:, index].reshape(-1, window))
        values = values.view(batch, len(index), window)
        return values[:, owner, offset]

    def _plan(self, time: int, window: int, device: torch.device
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sliding windows over ``time`` positions (those of neat_core.scoring): the
        positions of each window, and which window and offset scores each position."""
        key = (time, str(device))
        if key not in self._plans:
            starts, first = plan_windows(time, window, max(1, window // 2))
            ends = np.append(first[1:], time)
            owner = np.repeat(np.arange(len(starts)), ends - first)
            offset = np.arange(time) - starts[owner]
            index = starts[:, None] + np.arange(window)
            self._plans[key] = tuple(torch.from_numpy(a).to(device)
                                     for a in (index, owner, offset))  # type: ignore[assignment]
        return self._plans[key]

    def num_slots(self, time: int) -> int | None:
        """Patches per window of ``time`` bytes when fixed (patches_per_window)."""
        per_window = self.config.patches_per_window
        if per_window is None:
            return None
        return min(time, math.ceil(per_window * time / self.config.block_size))

    @torch.no_grad()
    def starts(self, idx: torch.Tensor, entropies: torch.Tensor | None = None, *,
               threshold: float | None = None, relative_threshold: float | None = None,
               following: bool = False) -> torch.Tensor:
        """``[batch, time]`` bool, True where a patch starts (always at position 0).

        The entropy rules use ``entropies [batch, time]`` (bits) when given, else the
        entropy model's, and the config's thresholds unless others are given.
        ``following`` adds a column: whether the byte after the input would start a
        patch (global and static rules; what the reference layout's decoder reads), as
        transformers' patcher decides it — it drops that empty last patch when it splits
        long patches, so with ``max_patch_size`` an entropy rule never starts one there.
        """
        config = self.config
        batch, time = idx.shape
        if config.patching in ENTROPY_MODES and entropies is None:
            entropies = self.entropies(idx)
        if following and entropies is not None:  # H(time) decides nothing up to time
            entropies = torch.nn.functional.pad(entropies, (0, 1))
        positions = torch.arange(time + following, device=idx.device).expand(batch, -1)
        starts = mode_starts(
            config.patching, positions=positions,
            space=self.space_like[idx] if config.patching == "space" else None,
            entropies=None if entropies is None else entropies.float(),
            threshold=config.threshold if threshold is None else threshold,
            relative_threshold=(config.relative_threshold if relative_threshold is None
                                else relative_threshold),
            patch_size=config.patch_size)
        if config.max_patch_size is not None:
            starts = split_long(starts, config.max_patch_size)
            if following and config.patching in ENTROPY_MODES:
                starts[:, time] = False
        slots = self.num_slots(time)
        if slots is not None:
            starts = keep_first(starts, slots)
        return starts

    @torch.no_grad()
    def calibrate(self, idx: torch.Tensor, target_patch_size: float,
                  iterations: int = 40) -> float:
        """The threshold of this entropy mode (``relative_threshold`` for relative,
        ``threshold`` otherwise) whose patches of the windows ``idx [batch, time]``
        average ``target_patch_size`` bytes, as this model patches them (per window, all
        rules applied). Bisection: the mean patch size grows with the threshold."""
        if self.config.patching not in ENTROPY_MODES:
            raise UsageError(f"patching '{self.config.patching}' has no threshold to "
                             f"calibrate", hint="use global, relative or combined")
        relative = self.config.patching == "relative"
        entropies = self.entropies(idx)
        low, high = 0.0, MAX_BITS
        for _ in range(iterations):
            middle = (low + high) / 2
            patches = self.starts(idx, entropies, threshold=None if relative else middle,
                                  relative_threshold=middle if relative else None).sum()
            low, high = (middle, high) if idx.numel() / patches < target_patch_size \
                else (low, middle)
        return high

    def flops_per_byte(self, length: int) -> float:
        """Forward FLOPs of the entropy model per byte of a ``length``-byte window,
        sliding windows included (0 without one)."""
        if self.entropy_model is None:
            return 0.0
        window = min(length, self.config.entropy.block_size)
        windows = len(plan_windows(length, window, max(1, window // 2))[0])
        return forward_flops_per_position(self.config.entropy, window) * windows * window / length


def _mark_loaded(module: Patcher, incompatible: object) -> None:
    """``load_state_dict`` hook: the entropy weights came with the BLT's state dict."""
    missing = getattr(incompatible, "missing_keys", [])
    if not any("entropy_model." in key for key in missing):
        module.entropy_ready = True

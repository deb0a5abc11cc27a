"""Patching inside the BLT: where each patch of a stream of bytes starts.

The rules are those of :mod:`..patching.rules`, the functions ``neat patch`` runs,
called here on batched tensors on the model's device, so the model and ``neat patch``
cut the same patches from the same entropies (tests/test_blt_patcher_rules.py). Every
rule is causal: whether byte ``t`` starts a patch depends on bytes ``0..t`` only
(entropy rules on ``H(t-1)``, i.e. bytes ``0..t-1``; ``max_patch_size`` is greedy), so a
byte's patch, and everything the model computes for it, never depends on later bytes.
What ``neat patch`` offers and the model does not, because it needs later bytes:
``min_patch_size`` and calibration on the whole input. What the model adds, for
streams longer than its context: every ``block_size``-th byte of a stream starts a
patch (byte 0 of a training window only, so training never sees it), which keeps each
patch within the context and every result within a bounded reach of earlier bytes;
``patches_per_window`` keeps the first ``P`` starts of each such block.

A window given to ``forward`` is a stream from its first byte; :class:`PatchState`
continues a stream piece by piece (``forward_cached``), with the same result.

The entropy model is frozen: it runs without gradients, in eval mode, in float32
(outside autocast, so patches do not depend on the precision the BLT trains in). Its
entropies follow the one context rule of :mod:`..entropy_model.model` (each window is a
stream from its first byte, read through the model's key/value cache), the rule of
``neat patch`` and the analysers, so all cut the same patches. An entropy model with
learned positions has no cache; it keeps the sliding windows of :mod:`neat_core.scoring`
inside the BLT's window (such a BLT generates and scores long inputs without a cache).
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
import torch
from torch import nn

from neat_core.api import MAX_BITS, CheckpointError, UsageError, entropy_bits, plan_windows

from ..entropy_model.flops import forward_flops_per_position
from ..entropy_model.model import EntropyModel
from ..patching.rules import (
    SPACE_LIKE,
    entropy_starts,
    keep_first,
    space_starts,
    split_long,
    static_starts,
)
from .settings import ENTROPY_MODES, BltConfig

HISTORY = 2  # entropies before a byte that decide whether it starts a patch


def patch_ids(starts: torch.Tensor) -> torch.Tensor:
    """Index of each byte's patch, ``[batch, time]``, from the start mask."""
    return starts.long().cumsum(-1) - 1


@attrs.define
class PatchState:
    """Where each row of a stream stands, for patching it in pieces: what the rules read
    of the bytes before the next piece."""

    position: int  # bytes seen (the offset of the next byte in its stream)
    entropies: torch.Tensor  # [B, 2] float32: the last two entropies (inf before any)
    byte: torch.Tensor  # [B] long: the last byte (space mode)
    last_start: torch.Tensor  # [B] long: the offset of the open patch's first byte
    in_block: torch.Tensor  # [B] long: patches started in the current block so far

    @classmethod
    def new(cls, batch: int, device: torch.device) -> PatchState:
        long = torch.zeros(batch, dtype=torch.long, device=device)
        # an infinite entropy before the stream: no rise can start a patch at byte 1
        return cls(0, torch.full((batch, HISTORY), math.inf, device=device), long,
                   long.clone(), long.clone())

    def advance(self, idx: torch.Tensor, entropies: torch.Tensor | None,
                starts: torch.Tensor, edges: torch.Tensor, positions: torch.Tensor) -> None:
        """Take in a piece of bytes, its entropies and where its patches start."""
        if entropies is not None:
            self.entropies = torch.cat((self.entropies, entropies.float()),
                                       dim=1)[:, -HISTORY:]
        self.byte = idx[:, -1].long()
        self.last_start = torch.maximum(self.last_start,
                                        (positions * starts).amax(dim=1))
        since_edge = positions >= (positions * edges).amax(dim=1, keepdim=True)
        fresh = edges.any(dim=1)
        counted = (starts & since_edge).sum(dim=1)
        self.in_block = torch.where(fresh, counted, self.in_block + starts.sum(dim=1))
        self.position += idx.shape[1]


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
        from neat_core.api import load_checkpoint

        path = Path(str(self.config.entropy_checkpoint)).expanduser()
        if not path.exists():
            self._missing_weights = f"{path} does not exist"
            return
        saved = load_checkpoint(path, training_state=False)
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
        model = self.entropy_model
        assert model is not None
        with torch.autocast(idx.device.type, enabled=False):
            if model.rotary is not None:
                return entropy_bits(model.stream(idx))
            batch, time = idx.shape
            window = min(time, model.config.block_size)
            index, owner, offset = self._plan(time, window, idx.device)
            values = model.entropies(idx[:, index].reshape(-1, window))
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

    @torch.no_grad()
    def starts(self, idx: torch.Tensor, entropies: torch.Tensor | None = None, *,
               threshold: float | None = None, relative_threshold: float | None = None,
               state: PatchState | None = None, following: bool = False) -> torch.Tensor:
        """``[batch, time]`` bool, True where a patch starts in each row of ``idx``, read
        as a stream from its first byte, or continuing ``state`` (which is updated).

        The entropy rules use ``entropies [batch, time]`` (bits) when given, else the
        entropy model's (for a stream continued through ``state``, give them), and the
        config's thresholds unless others are given. Besides the rules of the config,
        every ``block_size``-th byte of a stream starts a patch (the first one
        included), so no patch is longer than the context; ``patches_per_window`` keeps
        the first starts of each such block.

        ``following`` adds a column: whether the byte after the input starts a patch
        (every rule decides it from the bytes before it), which the reference layout's
        decoder reads. For a window (no ``state``) it is decided as transformers'
        patcher decides it: that patcher drops the empty last patch when it splits long
        patches, so with ``max_patch_size`` an entropy rule never starts one there. A
        stream keeps the rule (the column is what its next byte will be given), so
        with that option its outputs may differ from a window's at the window's last
        byte.
        """
        config = self.config
        batch, time = idx.shape
        if config.patching in ENTROPY_MODES and entropies is None:
            entropies = self.entropies(idx)
        if following:  # a stand-in byte after the input: only the bytes before decide
            idx = torch.nn.functional.pad(idx, (0, 1))
            if entropies is not None:
                entropies = torch.nn.functional.pad(entropies, (0, 1))
        history = state if state is not None else PatchState.new(batch, idx.device)
        positions = torch.arange(history.position, history.position + time + following,
                                 device=idx.device).expand(batch, -1)
        starts = self._rule(idx, entropies, positions, history,
                            config.threshold if threshold is None else threshold,
                            config.relative_threshold if relative_threshold is None
                            else relative_threshold)
        edges = positions % config.block_size == 0
        starts = starts | edges
        if config.max_patch_size is not None:
            starts = split_long(starts, config.max_patch_size, positions,
                                history.last_start[:, None])
            if following and state is None and config.patching in ENTROPY_MODES:
                starts[:, time] = False
        if config.patches_per_window is not None:
            starts = keep_first(starts, config.patches_per_window, positions,
                                config.block_size, history.in_block[:, None])
        if state is not None:
            state.advance(idx[:, :time], None if entropies is None else entropies[:, :time],
                          starts[:, :time], edges[:, :time], positions[:, :time])
        return starts

    def _rule(self, idx: torch.Tensor, entropies: torch.Tensor | None,
              positions: torch.Tensor, history: PatchState, threshold: float,
              relative_threshold: float) -> torch.Tensor:
        """The starts of the config's mode, each byte reading the bytes or entropies
        before it from ``history`` (the rules of :mod:`..patching.rules`)."""
        mode = self.config.patching
        if mode == "static":
            return static_starts(positions, self.config.patch_size)
        if mode == "space":
            space = self.space_like[torch.cat((history.byte[:, None], idx), dim=1)]
            return space_starts(space)[:, 1:]
        assert entropies is not None
        h = torch.cat((history.entropies, entropies.float()), dim=1)
        return entropy_starts(h, mode, threshold, relative_threshold)[:, HISTORY:]

    @torch.no_grad()
    def calibrate(self, idx: torch.Tensor, target_patch_size: float,
                  iterations: int = 40) -> float:
        """The threshold of this entropy mode (``relative_threshold`` for relative,
        ``threshold`` otherwise) whose patches of the windows ``idx [batch, time]``
        average ``target_patch_size`` bytes, as this model patches them (per window, all
        rules applied), or the closest one reaches. Bisection: the mean patch size grows
        with the threshold."""
        if self.config.patching not in ENTROPY_MODES:
            raise UsageError(f"patching '{self.config.patching}' has no threshold to "
                             f"calibrate", hint="use global, relative or combined")
        relative = self.config.patching == "relative"
        entropies = self.entropies(idx)

        def mean_size(threshold: float) -> float:
            starts = (self.starts(idx, entropies, relative_threshold=threshold) if relative
                      else self.starts(idx, entropies, threshold=threshold))
            return idx.numel() / float(starts.sum())

        low, high = 0.0, MAX_BITS
        for _ in range(iterations):
            middle = (low + high) / 2
            low, high = (middle, high) if mean_size(middle) < target_patch_size \
                else (low, middle)
        return min((high, low), key=lambda theta: abs(mean_size(theta) - target_patch_size))

    def flops_per_byte(self, length: int) -> float:
        """Forward FLOPs of the entropy model per byte of a ``length``-byte window (0
        without one): each byte computed once, attending to at most the entropy model's
        ``block_size`` positions (with learned positions: its sliding windows)."""
        if self.entropy_model is None:
            return 0.0
        config = self.config.entropy
        if config.positional == "rope":
            return forward_flops_per_position(config, length, config.block_size)
        window = min(length, config.block_size)
        windows = len(plan_windows(length, window, max(1, window // 2))[0])
        return forward_flops_per_position(config, window) * windows * window / length


def _mark_loaded(module: Patcher, incompatible: object) -> None:
    """``load_state_dict`` hook: the entropy weights came with the BLT's state dict."""
    missing = getattr(incompatible, "missing_keys", [])
    if not any("entropy_model." in key for key in missing):
        module.entropy_ready = True

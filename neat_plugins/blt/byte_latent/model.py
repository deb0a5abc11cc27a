"""The Byte Latent Transformer (Pagnoni et al. 2024) as a NEAT model (``blt``).

``forward(idx) -> logits [batch, time, 256]`` like every NEAT model: position ``t``
predicts byte ``t + 1`` from bytes ``0..t``. Inside, for a window of bytes:

1. the patcher (:mod:`.patcher`) marks where patches start (static, space, or from a
   frozen entropy model), by the rules of :mod:`..patching.rules`, reading the window
   as a stream from its first byte;
2. the local encoder (:mod:`.encoder`) computes byte states, and the pooling
   (:mod:`.pooling`) turns each patch into ``k`` vectors;
3. the latent transformer (:mod:`.latent`) runs causally over patches, shifted so
   that position ``j`` has seen patches ``0..j-1`` only;
4. the local decoder (:mod:`.decoder`) lets each byte of patch ``j`` read latent
   position ``j`` and predicts the next byte.

In the reference layout (``model.layout``, transformers' ``BltForCausalLM``) the parts
read BOS before the bytes and the decoder reads the next byte's patch
(:mod:`.framing`).

:mod:`.stream` reads streams of any length a piece at a time through caches of every
part (``new_cache``, ``forward_cached``), exactly as ``forward`` reads a window;
:mod:`.own_patches` shows the tools the patches the model cuts. The architecture and
pipeline are described in docs/blt.md.
"""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F
from torch import nn

from neat_core.api import UsageError

from ..layers.attention import windowed
from ..layers.block import init_weights
from ..layers.flops import TRAINING_FACTOR
from ..layers.rope import Rotary
from ..layers.spec import LAYOUTS, VOCAB_SIZE
from .decoder import LocalDecoder
from .encoder import LocalEncoder
from .flops import blt_forward_flops, static_patch_size
from .framing import Framing
from .latent import LatentTransformer
from .own_patches import ModelPatches
from .patcher import Patcher
from .pooling import PatchPooling
from .settings import ENTROPY_MODES, BltConfig, local_spec, rope_theta
from .stream import BltCache, step


class ByteLatentTransformer(nn.Module):
    patch_counts: torch.Tensor  # buffer: [bytes, patches] seen in training

    def __init__(self, config: BltConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = LocalEncoder(config)
        self.pooling = PatchPooling(config)
        self.latent = LatentTransformer(config)
        self.decoder = LocalDecoder(config)
        self.framing = Framing(config)
        self.rotary = Rotary(local_spec(config).head_dim,
                             self.framing.vocabulary.prefix + config.block_size,
                             rope_theta(config), LAYOUTS[config.layout].pairing)
        self.apply(init_weights)
        self.patcher = Patcher(config)  # after apply: the entropy model keeps its own init
        # bytes and patches seen in training, for the measured mean patch size (saved)
        self.register_buffer("patch_counts", torch.zeros(2, dtype=torch.long))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, *,
                patch_starts: torch.Tensor | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Next-byte logits ``[B, T, 256]``; with ``targets [B, T]`` also the mean
        cross-entropy in nats, as ``(logits, loss)``. ``patch_starts [B, T]`` (bool,
        True at position 0; ``[B, T + 1]`` in the reference layout, see
        :meth:`.patcher.Patcher.starts`) replaces the patcher, e.g. with patches computed
        earlier.

        The patches of all rows are packed into one sequence (no row is padded to the
        one with the most), so pooling and the latent transformer cost what the real
        patches cost."""
        batch, time = idx.shape
        if time > self.config.block_size:
            raise UsageError(f"input of {time} bytes is longer than model.block_size "
                             f"({self.config.block_size})",
                             hint="score long inputs with neat_core.scoring.compute_entropies, "
                                  "which reads them through the model's cache")
        framing = self.framing
        starts = (self.patcher.starts(idx, following=framing.reads_next)
                  if patch_starts is None else patch_starts)
        if self.training:
            self.patch_counts += torch.stack((starts.new_tensor(batch * time, dtype=torch.long),
                                              starts[:, :time].sum()))
        pooling = framing.pooling_starts(starts)  # [B, tokens]
        counts = pooling.sum(1)
        patch = pooling.flatten().long().cumsum(0) - 1  # every token's patch, rows in order
        first = counts.cumsum(0) - counts  # each row's first patch
        reads = first[:, None] + starts.long().cumsum(1) - 1  # the latent each token reads
        tokens = framing.tokens(idx)
        length = tokens.shape[1]
        window = self.config.local_window
        attend = (windowed(window, self.config.dropout if self.training else 0.0)
                  if window is not None and window < length else None)
        rope = self.rotary(length)
        x = self.encoder(tokens, rope, attend)
        patches = int(counts.sum())
        latent = self.latent(self.pooling(x.flatten(0, 1), patch, patches), counts.tolist())
        logits = framing.byte_logits(self.decoder(x, self.decoder.latent_keys(latent), reads,
                                                  rope, attend))
        if targets is None:
            return logits
        return logits, F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))

    # --- streams: the optional cache methods of the model contract --------------------

    def new_cache(self, batch_size: int) -> BltCache | None:
        """The state of ``batch_size`` streams read a piece at a time (see
        :mod:`.stream`); None when the entropy model has no cache (learned positions)."""
        entropy_model = self.patcher.entropy_model
        if entropy_model is not None and entropy_model.new_cache(1) is None:
            return None
        return BltCache(self, batch_size, next(self.parameters()).device)

    def forward_cached(self, idx: torch.Tensor, cache: BltCache) -> torch.Tensor:
        """Logits ``[B, t, 256]`` of ``t`` new bytes of each stream after those
        ``cache`` holds (pieces of at most ``block_size`` bytes at a time)."""
        size = self.config.block_size
        return torch.cat([step(self, idx[:, start:start + size], cache)
                          for start in range(0, idx.shape[1], size)], dim=1)

    def calibrate(self, windows: torch.Tensor) -> BltConfig:
        """The model contract's optional method, called by the trainer before the first
        step of a new run: with ``model.target_patch_size``, the threshold of the
        entropy mode (``relative_threshold`` for relative, else ``threshold``) whose
        patches of the training ``windows [batch, block_size]`` average that size, as
        this model cuts them; the config returned (and now this model's) records it."""
        config = self.config
        if config.target_patch_size is None or config.patching not in ENTROPY_MODES:
            return config
        theta = self.patcher.calibrate(windows, config.target_patch_size)
        self.config = (attrs.evolve(config, relative_threshold=theta)
                       if config.patching == "relative" else attrs.evolve(config, threshold=theta))
        self.patcher.config = self.config
        return self.config

    def patching(self) -> ModelPatches:
        """The patches this model cuts, for ``neat patch`` and the analysers (the model
        contract's optional method)."""
        return ModelPatches(self)

    def mean_patch_size(self) -> float | None:
        """Mean bytes per patch seen in training so far (None before any)."""
        seen, patches = self.patch_counts.tolist()
        return seen / patches if patches else None

    def flops_per_byte(self, mean_patch_size: float | None = None) -> dict[str, float]:
        """Analytic FLOPs per byte over full windows (the model contract's optional method;
        formulas in :mod:`.flops` and docs/blt.md).

        The mean patch size is ``mean_patch_size`` when given; else exact for static
        patching; else the one measured in training. Before any training it is assumed
        to be ``block_size / patches_per_window`` (the smallest it can be) or
        ``patch_size``, and the entry says so: it is ``assumed_patch_size`` instead of
        ``mean_patch_size``.
        """
        config = self.config
        key = "mean_patch_size"
        if mean_patch_size is None:
            if config.patching == "static" and config.patches_per_window is None:
                mean_patch_size = static_patch_size(config)
            else:
                mean_patch_size = self.mean_patch_size()
        if mean_patch_size is None:
            key = "assumed_patch_size"
            mean_patch_size = (config.block_size / config.patches_per_window
                               if config.patches_per_window is not None
                               else float(config.patch_size))
        forward = blt_forward_flops(config, mean_patch_size)
        flops = {"forward": forward, "training": TRAINING_FACTOR * forward}
        if config.patching in ENTROPY_MODES:
            flops["entropy_model"] = self.patcher.flops_per_byte(config.block_size)
        flops[key] = mean_patch_size
        return flops

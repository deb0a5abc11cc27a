"""The Byte Latent Transformer (Pagnoni et al. 2024) as a NEAT model (``blt``).

``forward(idx) -> logits [batch, time, 256]`` like every NEAT model: position ``t``
predicts byte ``t + 1`` from bytes ``0..t``. Inside, for a window of bytes:

1. the patcher (:mod:`.patcher`) marks where patches start (static, space, or from a
   frozen entropy model), by the rules of :mod:`..patching.rules`;
2. the local encoder (:mod:`.encoder`) computes byte states, and the pooling
   (:mod:`.pooling`) turns each patch into ``k`` vectors;
3. the latent transformer (:mod:`.latent`) runs causally over patches, shifted so
   that position ``j`` has seen patches ``0..j-1`` only;
4. the local decoder (:mod:`.decoder`) lets each byte of patch ``j`` read latent
   position ``j`` and predicts the next byte.

In the reference layout (``model.layout``, transformers' ``BltForCausalLM``) the parts
read BOS before the bytes and the decoder reads the next byte's patch
(:mod:`.framing`). The architecture and pipeline are described in docs/blt.md.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neat_core.errors import UsageError

from ..layers.attention import window_mask
from ..layers.block import init_weights
from ..layers.flops import TRAINING_FACTOR
from ..layers.rope import Rotary
from ..layers.spec import LAYOUTS, VOCAB_SIZE
from .decoder import LocalDecoder
from .encoder import LocalEncoder
from .flops import blt_forward_flops, static_patch_size
from .framing import Framing
from .latent import LatentTransformer
from .patcher import Patcher
from .pooling import PatchPooling
from .settings import ENTROPY_MODES, BltConfig, local_spec, rope_theta


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
        earlier."""
        batch, time = idx.shape
        if time > self.config.block_size:
            raise UsageError(f"input of {time} bytes is longer than model.block_size "
                             f"({self.config.block_size})",
                             hint="score long inputs with neat_core.scoring.compute_entropies, "
                                  "which slides a window over them")
        starts = (self.patcher.starts(idx, following=self.framing.reads_next)
                  if patch_starts is None else patch_starts)
        pooling_ids, decoder_ids = self.framing.patch_ids(starts)
        slots = self.patcher.num_slots(time)
        patches = slots if slots is not None else int(pooling_ids[:, -1].max()) + 1
        if self.training:
            self.patch_counts += torch.stack((starts.new_tensor(batch * time, dtype=torch.long),
                                              starts[:, :time].sum()))
        tokens = self.framing.tokens(idx)
        mask = window_mask(tokens.shape[1], self.config.local_window, idx.device)
        rope = self.rotary(tokens.shape[1])
        x = self.encoder(tokens, mask, rope)
        latent = self.latent(self.pooling(x, pooling_ids, patches))
        logits = self.framing.byte_logits(self.decoder(x, latent, decoder_ids, mask, rope))
        if targets is None:
            return logits
        return logits, F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))

    def mean_patch_size(self) -> float | None:
        """Mean bytes per patch seen in training so far (None before any)."""
        seen, patches = self.patch_counts.tolist()
        return seen / patches if patches else None

    def flops_per_byte(self, mean_patch_size: float | None = None) -> dict[str, float]:
        """Analytic FLOPs per byte over full windows (the model contract's optional method;
        formulas in :mod:`.flops` and docs/blt.md).

        The mean patch size is ``mean_patch_size`` when given; else exact for static
        patching and ``patches_per_window``; else the one measured in training. Before
        any training it is assumed to be ``patch_size``, and the entry says so: it is
        ``assumed_patch_size`` instead of ``mean_patch_size``.
        """
        config = self.config
        key = "mean_patch_size"
        if mean_patch_size is None:
            if config.patches_per_window is not None:
                mean_patch_size = config.block_size / config.patches_per_window
            elif config.patching == "static":
                mean_patch_size = static_patch_size(config)
            else:
                mean_patch_size = self.mean_patch_size()
        if mean_patch_size is None:
            key, mean_patch_size = "assumed_patch_size", float(config.patch_size)
        forward = blt_forward_flops(config, mean_patch_size)
        flops = {"forward": forward, "training": TRAINING_FACTOR * forward}
        if config.patching in ENTROPY_MODES:
            flops["entropy_model"] = self.patcher.flops_per_byte(config.block_size)
        flops[key] = mean_patch_size
        return flops

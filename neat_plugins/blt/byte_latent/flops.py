"""Analytic FLOPs per byte of the BLT (conventions in :mod:`..layers.flops`; formulas in
docs/blt.md, "FLOPs"). Its frozen entropy model only runs forward and is listed on its
own (:meth:`.patcher.Patcher.flops_per_byte`), outside ``forward`` and ``training``."""

from __future__ import annotations

import numpy as np

from ..layers.flops import block_flops, mean_keys
from ..layers.spec import LAYOUTS
from ..layers.tokens import VOCABULARIES
from ..patching.rules import patch_lengths
from .settings import BltConfig, latent_spec, local_spec


def static_patch_size(config: BltConfig) -> float:
    """Mean bytes per patch of static patching over a full window (``max_patch_size``
    applied as the patcher applies it)."""
    lengths = patch_lengths(np.zeros(config.block_size), "static", patch_size=config.patch_size,
                            max_patch_size=config.max_patch_size)
    return config.block_size / len(lengths)


def blt_forward_flops(config: BltConfig, mean_patch_size: float) -> float:
    """The BLT's forward FLOPs per byte over full windows whose patches average
    ``mean_patch_size`` bytes (entropy model excluded)."""
    local, k, latent = config.local_size, config.queries_per_patch, config.latent_size
    local_ffn, latent_ffn = local_spec(config).ffn_size, latent_spec(config).ffn_size
    layout = LAYOUTS[config.layout]
    gated = layout.feed_forward == "swiglu"
    length = config.block_size
    local_keys = mean_keys(length, config.local_window)
    patches = length / mean_patch_size  # latent positions per window
    per_byte = (
        config.encoder_layers * block_flops(local, local_ffn, local_keys, gated)
        + 4 * local * local + 4 * local * k  # pooling: keys/values of each byte, k queries
        + config.decoder_layers * (block_flops(local, local_ffn, local_keys, gated)
                                   + 4 * local * local + 4 * local * k)  # cross-attention
        + 2 * local * VOCABULARIES[layout.vocabulary].size)
    into_latent = k * local != latent or layout.latent_start  # else the identity
    per_patch = (
        6 * k * local * local  # pooling: k queries from the pooled state, query and output
        + 2 * k * local * latent * into_latent  # into the latent transformer
        + config.latent_layers * block_flops(latent, latent_ffn, mean_keys(patches), gated)
        + 2 * latent * k * local  # out of it: k vectors per patch for the decoder
        + config.decoder_layers * 4 * k * local * local)  # their keys and values
    return per_byte + per_patch / mean_patch_size

"""The BLT plugin: the blt-entropy model, per-byte entropy, and entropy patching.

Public API (importing this package does not import torch; each name loads its module on
first use)::

    from neat_plugins.blt import compute_entropies, patch_lengths

    model, config = neat_core.load_model("runs/quickstart/checkpoints/best")
    entropies = compute_entropies(model, data)       # bits, one per byte of data
    lengths = patch_lengths(entropies, "global", threshold=2.0)

- ``compute_entropies`` and ``score_bytes``: re-exported from :mod:`neat_core.scoring`
  (per-byte next-byte entropy in bits, and negative log-likelihood in nats of bytes
  1..n-1, sliding window; they work for any registered model).
- ``patch_lengths(entropies, mode, *, threshold, relative_threshold, patch_size,
  min_patch_size, max_patch_size, data=None)``: patch lengths for one mode.
- ``patch_lengths_for(entropies, patching_config, data)``: the same for a ``patching``
  config section, calibrating the threshold when it sets ``target_patch_size``.
- ``calibrate_threshold(entropies, target_patch_size, mode="global", ...)``: the θ
  whose patches average the target size.

Conventions of entropies and patching: see :mod:`neat_core.scoring` and
:mod:`neat_plugins.blt.patching.rules`, and docs/blt.md.

The parts: ``layers/`` (the transformer blocks both models use), ``entropy_model/``,
``byte_latent/`` (the full BLT), ``patching/`` (the rules, no torch), ``commands/`` and
``hf/`` (transformers' BLT in and out: ``neat import``, ``neat export``); ``plugin.py``
is the entry point.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neat_core.api import compute_entropies, score_bytes

    from .patching.calibration import calibrate_threshold, patch_lengths_for
    from .patching.rules import patch_lengths

_EXPORTS = {
    "compute_entropies": "neat_core.api",
    "score_bytes": "neat_core.api",
    "patch_lengths": ".patching.rules",
    "patch_lengths_for": ".patching.calibration",
    "calibrate_threshold": ".patching.calibration",
}

__all__ = ["calibrate_threshold", "compute_entropies", "patch_lengths", "patch_lengths_for",
           "score_bytes"]


def __getattr__(name: str) -> Any:  # PEP 562: import torch only when it is needed
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The arms of a study and the models they train (no torch).

An arm is a name: ``byte`` (a byte-level transformer, the ``blt-entropy`` model),
``static-N`` (a BLT with static patches of N bytes), ``entropy-N`` (a BLT with entropy
patches whose threshold is calibrated to a mean of N bytes, ``model.target_patch_size``)
or ``space`` (a BLT with space patches). All BLT arms share one shape; every arm reads
the same context and the same hash n-grams, so they differ in how they spend FLOPs.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

from neat_core.api import UsageError

Kind = Literal["byte", "static", "entropy", "space"]
NAME = re.compile(r"^(byte|space)$|^(static|entropy)-(\d+(?:\.\d+)?)$")
DEFAULT_ARMS = ("byte", "static-2", "static-4", "static-6", "static-8",
                "entropy-2", "entropy-4", "entropy-6", "entropy-8")


@attrs.frozen
class Shapes:
    """What every run of a study shares (a study directory keeps them: resuming with
    others is an error). Defaults: see docs/blt.md, "The study"."""

    data: str = "builtin:python-stdlib"
    max_bytes: int = 4_000_000  # training bytes taken from data
    eval_fraction: float = 0.05  # documents held out, once for the whole study
    eval_windows: int = 256  # held-out windows every run is scored on
    block_size: int = 256
    batch_size: int = 16
    learning_rate: float = 3e-3
    hash_ngrams: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    hash_buckets: int = 4096
    byte_hidden: int = 128
    byte_layers: int = 2
    local_size: int = 48
    local_window: int | None = 64
    encoder_layers: int = 1
    decoder_layers: int = 1
    latent_size: int = 192
    latent_layers: int = 2
    queries_per_patch: int = 2
    entropy_hidden: int = 32
    entropy_layers: int = 1
    entropy_block: int = 64
    entropy_steps: int = 1000


@attrs.frozen
class Arm:
    name: str
    kind: Kind
    patch_size: float | None = None  # static, or the entropy patches' target

    def model_settings(self, shapes: Shapes, entropy_checkpoint: str | None
                       ) -> dict[str, Any]:
        """The ``model.*`` settings of the arm's runs."""
        shared = {"model.block_size": shapes.block_size,
                  "model.hash_ngrams": list(shapes.hash_ngrams),
                  "model.hash_buckets": shapes.hash_buckets}
        if self.kind == "byte":
            return {"model.name": "blt-entropy", "model.hidden_size": shapes.byte_hidden,
                    "model.num_layers": shapes.byte_layers, "model.num_heads": 4, **shared}
        settings = {"model.name": "blt", **shared, "model.local_size": shapes.local_size,
                    "model.local_heads": 4, "model.local_window": shapes.local_window,
                    "model.encoder_layers": shapes.encoder_layers,
                    "model.decoder_layers": shapes.decoder_layers,
                    "model.latent_size": shapes.latent_size, "model.latent_heads": 4,
                    "model.latent_layers": shapes.latent_layers,
                    "model.queries_per_patch": shapes.queries_per_patch,
                    "model.patching": "global" if self.kind == "entropy" else self.kind}
        if self.kind == "static":
            settings["model.patch_size"] = int(self.patch_size or 0)
        if self.kind == "entropy":
            settings["model.target_patch_size"] = self.patch_size
            settings["model.entropy_checkpoint"] = entropy_checkpoint
        return settings


def parse_arm(name: str) -> Arm:
    match = NAME.match(name)
    if match is None:
        raise UsageError(f"unknown arm '{name}'",
                         hint="arms: byte, space, static-N or entropy-N (N bytes per patch, "
                              "e.g. static-4, entropy-4.5)")
    if match.group(1):
        return Arm(name, match.group(1))  # type: ignore[arg-type]
    size = float(match.group(3))
    if match.group(2) == "static" and not size.is_integer():
        raise UsageError(f"arm '{name}': static patches are a whole number of bytes",
                         hint="e.g. static-4")
    if size < 1:
        raise UsageError(f"arm '{name}': patches hold at least one byte")
    return Arm(name, match.group(2), size)  # type: ignore[arg-type]


def flops_per_byte(arm: Arm, model: Any, patch_size: float | None = None
                   ) -> dict[str, float]:
    """Analytic FLOPs per byte of an arm's model (its ``model`` config section), at the
    mean patch size ``patch_size`` (default: the arm's own, exact for static patches):
    ``inference`` (forward, with the entropy model's forward for entropy patches) and
    ``training`` (forward and backward of what trains, plus that entropy model's
    forward, which every step runs)."""
    # here, not at the top: registering `neat study` must not import numpy
    from ..byte_latent.flops import blt_forward_flops, static_patch_size
    from ..entropy_model.flops import entropy_model_flops, forward_flops_per_position
    from ..layers.flops import TRAINING_FACTOR

    if arm.kind == "byte":
        flops = entropy_model_flops(model)
        return {"inference": flops["forward"], "training": flops["training"],
                "patch_size": 1.0}
    size = patch_size or (static_patch_size(model) if arm.kind == "static"
                          else arm.patch_size)
    if size is None:
        raise UsageError(f"arm '{arm.name}' needs a mean patch size")
    forward = blt_forward_flops(model, size)
    entropy = (forward_flops_per_position(model.entropy, model.block_size,
                                          model.entropy.block_size)
               if arm.kind == "entropy" else 0.0)
    return {"inference": forward + entropy, "training": TRAINING_FACTOR * forward + entropy,
            "patch_size": size}

"""The ``patching`` section: the patching modes and which threshold each mode uses.

``PatchingConfig`` is the one place that knows them; the rules, ``neat patch``, the
patch evaluator, the interactive commands and the BLT's settings all read it. No torch
and no numpy: it loads with the plugin.
"""

from __future__ import annotations

import typing
from typing import Literal

from neat_core.api import Former, Settings, frozen, require, setting

Mode = Literal["global", "relative", "combined", "static", "space"]
MODES: tuple[str, ...] = typing.get_args(Mode)
THRESHOLD_MODES = ("global", "relative", "combined")  # the modes a threshold applies to
FIELD_MODES = {  # the modes each mode-specific setting applies to
    "threshold": ("global", "combined"), "relative_threshold": ("relative", "combined"),
    "patch_size": ("static",), "target_patch_size": THRESHOLD_MODES}


@frozen
class PatchingConfig(Settings):
    """Entropy patching: where patches start (see :mod:`.rules`)."""

    mode: Mode = setting(
        "global", flag="--mode", commands=("analyze", "patch"),
        help="global: new patch after H(t) > threshold; relative: after "
             "H(t) - H(t-1) > relative_threshold; combined: both; static: fixed "
             "patch_size; space: after whitespace/punctuation.",
        formerly=(Former("use_dynamic_patching", lambda value: "global" if value else "static",
                         "true means entropy patching (global), false fixed-size patches"),))
    threshold: float = setting(2.0, min=0, max=8, flag="--threshold",
                               commands=("analyze", "patch"),
                               help="Global entropy threshold, in bits (0-8).",
                               formerly=(Former("entropy_threshold", note=(
                                   "NEAT reads patching.threshold in bits (0-8) of next-byte "
                                   "entropy; the older tool clamped it to [0, 1], so check "
                                   "the value")),))
    relative_threshold: float = setting(1.0, min=0, max=8,
                                        help="Relative entropy threshold, in bits.")
    patch_size: int = setting(4, min=1, help="Patch size of the static mode, in bytes.")
    min_patch_size: int | None = setting(None, min=1, help="Merge patches shorter than "
                                                           "this into their neighbour.",
                                         formerly=("min_patch_size",))
    max_patch_size: int | None = setting(None, min=1, help="Start a new patch once a patch "
                                                           "has this many bytes (10 bytes, "
                                                           "maximum 4: 4, 4, 2).",
                                         formerly=("max_patch_size",))
    target_patch_size: float | None = setting(
        None, min=1, flag="--target-patch-size", commands=("analyze", "patch"),
        help="If set, calibrate the threshold so patches average this many bytes.")

    def __attrs_post_init__(self) -> None:
        if self.min_patch_size is not None and self.max_patch_size is not None:
            require(self.min_patch_size <= self.max_patch_size,
                    f"patching.min_patch_size ({self.min_patch_size}) is larger than "
                    f"patching.max_patch_size ({self.max_patch_size})")

    def inactive(self, name: str) -> str | None:
        modes = FIELD_MODES.get(name)
        if modes is None or self.mode in modes:
            return None
        return (f"patching.{name} has no effect in mode '{self.mode}' (it applies in "
                f"{', '.join(modes)})")

    @property
    def uses_threshold(self) -> bool:
        return self.mode in THRESHOLD_MODES

    @property
    def threshold_field(self) -> str:
        """The field holding the threshold this mode compares against (the global one for
        combined, whose relative threshold stays fixed)."""
        return "relative_threshold" if self.mode == "relative" else "threshold"

    @property
    def active_threshold(self) -> float | None:
        """The threshold this mode uses, in bits; None for static and space."""
        return getattr(self, self.threshold_field) if self.uses_threshold else None

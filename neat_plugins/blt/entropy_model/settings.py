"""The blt plugin's settings: the blt-entropy model section (with the hash n-gram
settings it shares with the full BLT) and the ``patching`` section.

``PatchingConfig`` is the one place that knows the patching modes and which threshold
each mode uses; the patching functions, ``neat patch``, the patch evaluator and the
interactive commands all read it.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from neat_core.config import Former, ModelConfig, Settings, frozen, require, setting

Mode = Literal["global", "relative", "combined", "static", "space"]
MODES: tuple[str, ...] = typing.get_args(Mode)
THRESHOLD_MODES = ("global", "relative", "combined")  # the modes a threshold applies to
ENTROPY_MODEL = "blt-entropy"  # the registered name of the entropy model
MAX_NGRAM = 16


def hash_ngrams_setting(default: tuple[int, ...]) -> Any:
    # configs and checkpoints from before hash n-grams existed had none
    return setting(factory=lambda: list(default), legacy_default=[],
                   help="Sizes n of the hash n-gram embeddings summed into each byte's "
                        "embedding (e.g. [3, 4, 5, 6, 7, 8]); empty: none.",
                   notes="Each size has its own table of hash_buckets rows, indexed by a "
                         "rolling polynomial hash of the n bytes ending at the position "
                         "(docs/blt.md). Lookups cost no FLOPs; the tables add parameters.")


def hash_buckets_setting() -> Any:
    return setting(4096, min=1, help="Rows of each hash n-gram embedding table.")


def check_hash_ngrams(config: Any) -> None:
    sizes = config.hash_ngrams
    require(all(2 <= n <= MAX_NGRAM for n in sizes) and len(set(sizes)) == len(sizes),
            f"model.hash_ngrams must hold distinct sizes from 2 to {MAX_NGRAM}, got {sizes}",
            hint="e.g. [3, 4, 5, 6, 7, 8]; single bytes already have the byte embedding")
FIELD_MODES = {  # the modes each mode-specific setting applies to
    "threshold": ("global", "combined"), "relative_threshold": ("relative", "combined"),
    "patch_size": ("static",), "target_patch_size": THRESHOLD_MODES}


@frozen
class BltEntropyConfig(ModelConfig):
    hidden_size: int = setting(128, min=8, help="Width of the residual stream.",
                               formerly=("hidden_size", "byte_lm_hidden_size"))
    num_layers: int = setting(2, min=1, help="Transformer blocks.",
                              formerly=("num_layers", "byte_lm_num_layers"))
    num_heads: int = setting(4, min=1, help="Attention heads; must divide hidden_size.",
                             formerly=("num_heads", "byte_lm_num_heads",
                                       "num_attention_heads"))
    ffn_size: int | None = setting(None, min=1, help="Feed-forward width; default: "
                                                     "4 x hidden_size.")
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True, help="Dropout rate.",
                             formerly=("dropout", "byte_lm_dropout"))
    block_size: int = setting(128, min=2, help="Context length in bytes.",
                              formerly=(Former("block_size",
                                               note="the model's context length in bytes"),))
    positional: Literal["rope", "learned"] = setting(
        "rope", help="Positional scheme: rotary (rope) or learned absolute embeddings.")
    tie_weights: bool = setting(False, help="Share the byte embedding with the output "
                                            "layer's weights.")
    hash_ngrams: list[int] = hash_ngrams_setting(default=(3, 4, 5))
    hash_buckets: int = hash_buckets_setting()

    def __attrs_post_init__(self) -> None:
        check_hash_ngrams(self)
        require(self.hidden_size % self.num_heads == 0,
                f"model.hidden_size ({self.hidden_size}) must be divisible by "
                f"model.num_heads ({self.num_heads})",
                hint="choose num_heads that divides hidden_size, e.g. "
                     f"{_divisor_near(self.hidden_size, self.num_heads)}")
        if self.positional == "rope":
            head_size = self.hidden_size // self.num_heads
            require(head_size % 2 == 0,
                    f"model.positional 'rope' needs an even head size, got "
                    f"hidden_size / num_heads = {head_size}",
                    hint="change hidden_size or num_heads, or use positional 'learned'")


_HINT_SEARCH = 64  # candidates tried on each side of the wanted value


def _divisor_near(total: int, wanted: int) -> int:
    """A divisor of ``total`` near ``wanted``, for a hint: the nearest within
    ``_HINT_SEARCH`` of it, else 1 or ``total``. Bounded work, however large the values
    (validation must cost the size of a config, not of the numbers in it)."""
    for distance in range(_HINT_SEARCH + 1):
        for divisor in (wanted - distance, wanted + distance):
            if 1 <= divisor <= total and total % divisor == 0:
                return divisor
    return min((1, total), key=lambda divisor: abs(divisor - wanted))


@frozen
class PatchingConfig(Settings):
    """Entropy patching: where patches start (see :mod:`neat_plugins.blt.patching`)."""

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
    max_patch_size: int | None = setting(None, min=1, help="Split patches longer than "
                                                           "this.",
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

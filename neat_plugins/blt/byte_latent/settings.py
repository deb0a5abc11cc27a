"""The ``model`` section of the full Byte Latent Transformer (model name ``blt``), and
the blocks it describes (no torch: it loads with the plugin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from neat_core.api import ConfigError, ModelConfig, frozen, require, section, setting

from ..entropy_model.settings import ENTROPY_MODEL, BltEntropyConfig
from ..layers.settings import (
    check_hash_ngrams,
    hash_buckets_setting,
    hash_ngrams_setting,
    layout_setting,
    norm_eps_setting,
)
from ..layers.spec import LAYOUTS, BlockSpec, LayoutName
from ..patching.settings import THRESHOLD_MODES, Mode

ENTROPY_MODES = THRESHOLD_MODES  # the patching modes that need the entropy model


@frozen
class BltConfig(ModelConfig):
    block_size: int = setting(256, min=2, help="Context length in bytes.")
    patching: Mode = setting(
        "static",
        help="Where patches start. static: every patch_size bytes; space: after each run of "
             "whitespace/punctuation; global: after byte t when the entropy model's H(t) > "
             "threshold; relative: when H(t) - H(t-1) > relative_threshold; combined: both.",
        notes="global, relative and combined need model.entropy_checkpoint. Boundaries "
              "follow the rules of docs/blt.md (patching rules), the ones neat patch "
              "applies; every rule is causal.")
    patch_size: int = setting(4, min=1, help="Bytes per patch in static patching.")
    threshold: float = setting(2.0, min=0, max=8,
                               help="Entropy threshold in bits (global, combined).")
    relative_threshold: float = setting(1.0, min=0, max=8,
                                        help="Entropy rise threshold in bits (relative, "
                                             "combined).")
    max_patch_size: int | None = setting(
        None, min=1, help="Start a new patch once a patch has this many bytes.")
    patches_per_window: int | None = setting(
        None, min=1,
        help="Give the latent transformer at most this many patches per block_size bytes: "
             "boundaries after the first ones of each block are dropped.",
        notes="Bounds the latent cost whatever the data. Choose the threshold so that "
              "patches average about block_size / patches_per_window bytes, or the last "
              "patch of a block gets long. Blocks are the block_size bytes from each "
              "multiple of block_size of a stream (a training window is one block).")
    target_patch_size: float | None = setting(
        None, min=1,
        help="Entropy patching (global, relative, combined): the mean patch size in bytes "
             "to calibrate the threshold to when training starts.",
        notes="The threshold of the mode (relative_threshold for relative, threshold "
              "otherwise) is set on windows of the training data, as this model cuts "
              "them, before the first step; the run's config and checkpoints record it "
              "(and this target), so a resumed run, neat patch and neat analyze use the "
              "calibrated value.")
    entropy_checkpoint: str | None = setting(
        None, help="Checkpoint directory of a trained blt-entropy model whose entropies "
                   "place the patch boundaries (global, relative, combined).",
        notes="Read when a new BLT is built: its settings fill model.entropy and its "
              "weights are copied into the BLT, frozen. A BLT checkpoint holds both, so "
              "loading one needs no other file.")
    entropy: BltEntropyConfig = section(
        BltEntropyConfig,
        f"The entropy model's settings (the fields of the {ENTROPY_MODEL} model), read from "
        f"entropy_checkpoint until model.entropy.name is '{ENTROPY_MODEL}'.")
    local_size: int = setting(128, min=8, help="Width of the local encoder and decoder.")
    local_heads: int = setting(4, min=1, help="Attention heads of the local encoder and "
                                              "decoder; must divide local_size.")
    local_window: int | None = setting(
        None, min=1, help="Bytes a byte attends to in the local encoder and decoder "
                          "(itself included); default: the whole context.")
    encoder_layers: int = setting(1, min=1, help="Transformer blocks of the local encoder.")
    decoder_layers: int = setting(1, min=1, help="Blocks of the local decoder, each with a "
                                                 "cross-attention to the latent output.")
    latent_size: int = setting(256, min=8, help="Width of the latent transformer.")
    latent_heads: int = setting(4, min=1, help="Attention heads of the latent transformer; "
                                               "must divide latent_size.")
    latent_layers: int = setting(2, min=1, help="Transformer blocks of the latent "
                                                "transformer.")
    queries_per_patch: int = setting(
        2, min=1, help="Query vectors that pool each patch's bytes (k); the latent "
                       "transformer reads their concatenation.")
    pooling: Literal["max", "mean"] = setting(
        "max", help="How each patch's k queries are initialised from its byte states.")
    hash_ngrams: list[int] = hash_ngrams_setting(default=(3, 4, 5, 6, 7, 8))
    hash_buckets: int = hash_buckets_setting()
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True, help="Dropout rate.")
    layout: LayoutName = layout_setting("BLT")
    rope_theta: float | None = setting(
        None, min=1, help="Base of the rotary angles of every part; default: 10^4 (neat "
                          "layout), 5 x 10^5 (reference).")
    norm_eps: float = norm_eps_setting()
    local_ffn_size: int | None = setting(
        None, min=1, help="Feed-forward width of the local encoder and decoder; default: "
                          "4 x local_size (neat layout), 8/3 x local_size (reference).")
    latent_ffn_size: int | None = setting(
        None, min=1, help="Feed-forward width of the latent transformer; default: "
                          "4 x latent_size (neat layout), 8/3 x latent_size (reference).")
    hash_functions: int = setting(
        1, min=1, help="Hash functions per n-gram size, each with its own prime "
                       "(reference layout: transformers' encoder_hash_byte_group_nb_functions).")

    def __attrs_post_init__(self) -> None:
        check_hash_ngrams(self)
        for width, heads in (("local_size", "local_heads"), ("latent_size", "latent_heads")):
            size, count = getattr(self, width), getattr(self, heads)
            require(size % count == 0 and (size // count) % 2 == 0,
                    f"model.{width} ({size}) must be divisible by model.{heads} ({count}) "
                    f"into heads of even size (rotary positions)",
                    hint=f"e.g. model.{heads}={_even_head_divisor(size, count)}")
        if self.patches_per_window is not None:
            require(self.patches_per_window <= self.block_size,
                    f"model.patches_per_window ({self.patches_per_window}) is larger than "
                    f"model.block_size ({self.block_size})",
                    hint="a patch holds at least one byte")
        if self.patching in ENTROPY_MODES:
            if self.entropy_checkpoint is None:
                raise ConfigError(f"model.patching '{self.patching}' needs "
                                  f"model.entropy_checkpoint",
                                  hint="train an entropy model first (neat train), then --set "
                                       "model.entropy_checkpoint=RUN/checkpoints/best; or use "
                                       "patching static or space")
            if self.entropy.name != ENTROPY_MODEL:  # not read from the checkpoint yet
                object.__setattr__(self, "entropy", read_entropy_settings(
                    self.entropy_checkpoint))
        else:
            require(self.target_patch_size is None,
                    f"model.target_patch_size is set, but model.patching "
                    f"'{self.patching}' has no threshold to calibrate",
                    hint="drop target_patch_size (static: set model.patch_size), or use "
                         "patching global, relative or combined")
            require(self.entropy_checkpoint is None,
                    f"model.entropy_checkpoint is set, but model.patching "
                    f"'{self.patching}' uses no entropy model",
                    hint="drop entropy_checkpoint, or use patching global, relative or "
                         "combined")
        check_layout(self)


def check_layout(config: BltConfig) -> None:
    """What the reference layout does not have: transformers' BLT patches by a global
    entropy threshold, or every byte alone, pools with a max, and always has hash
    n-grams."""
    if config.layout == "neat":
        require(config.hash_functions == 1, "model.hash_functions must be 1 in layout 'neat'",
                hint="more hash functions are a setting of layout 'reference'")
        return
    static_bytes = config.patching == "static" and config.patch_size == 1
    require(config.patching == "global" or static_bytes,
            f"model.layout 'reference' patches by the global entropy threshold or one patch "
            f"per byte, not '{config.patching}'"
            + (f" of {config.patch_size} bytes" if config.patching == "static" else ""),
            hint="use --set model.patching=global (with an entropy model) or "
                 "model.patching=static with model.patch_size=1")
    for ok, what, fix in ((config.patches_per_window is None, "patches_per_window",
                           "drop model.patches_per_window"),
                          (config.pooling == "max", "mean pooling", "set model.pooling=max"),
                          (bool(config.hash_ngrams), "BLT without hash n-grams",
                           "set model.hash_ngrams, e.g. [3, 4, 5, 6, 7, 8]")):
        require(ok, f"model.layout 'reference' has no {what} (transformers' BLT has none)",
                hint=f"{fix}, or use layout 'neat'")
    if config.patching == "global":
        require(config.entropy.layout == "reference",
                "model.layout 'reference' needs an entropy model of layout 'reference'",
                hint="import one with neat import, or train one with --set "
                     "model.layout=reference")


def own_settings(config: BltConfig) -> dict[str, Any]:
    """The settings of the patches a BLT cuts, as ``neat patch`` and the analysers show
    them (only those its mode uses)."""
    settings: dict[str, Any] = {"source": "model", "mode": config.patching}
    if config.patching == "static":
        settings["patch_size"] = config.patch_size
    if config.patching in ("global", "combined"):
        settings["threshold"] = config.threshold
    if config.patching in ("relative", "combined"):
        settings["relative_threshold"] = config.relative_threshold
    if config.patching in ENTROPY_MODES and config.target_patch_size is not None:
        settings["target_patch_size"] = config.target_patch_size
    for name in ("max_patch_size", "patches_per_window"):
        if getattr(config, name) is not None:
            settings[name] = getattr(config, name)
    settings["block_size"] = config.block_size  # every block_size-th byte starts a patch
    return settings


def read_entropy_settings(checkpoint: str) -> BltEntropyConfig:
    """The model settings saved in an entropy model's checkpoint (its config.json)."""
    file = Path(checkpoint).expanduser() / "config.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"model.entropy_checkpoint: cannot read {file}: "
                          f"{getattr(error, 'strerror', None) or error}",
                          hint="pass a checkpoint directory of a blt-entropy model, e.g. "
                               "runs/entropy/checkpoints/best") from None
    try:
        from neat_core.api import load_config  # the config machinery, when used

        model = load_config(base=data).config.model
    except ConfigError as error:
        raise ConfigError(f"model.entropy_checkpoint: {file} is not a valid config: "
                          f"{error.message}", hint=error.hint) from None
    if not isinstance(model, BltEntropyConfig) or model.name != ENTROPY_MODEL:
        raise ConfigError(f"model.entropy_checkpoint: {checkpoint} holds a '{model.name}' "
                          f"model, not a {ENTROPY_MODEL} model",
                          hint=f"pass a checkpoint of a {ENTROPY_MODEL} model")
    return model


def _even_head_divisor(size: int, wanted: int) -> int:
    choices = [d for d in range(1, size + 1) if size % d == 0 and (size // d) % 2 == 0]
    return min(choices, key=lambda d: abs(d - wanted))


def _spec(config: BltConfig, dim: int, heads: int, ffn_size: int | None) -> BlockSpec:
    layout = LAYOUTS[config.layout]
    return BlockSpec(dim, heads, ffn_size or layout.ffn_size(dim), config.dropout,
                     norm=layout.norm, norm_eps=config.norm_eps,
                     feed_forward=layout.feed_forward, double_residual=layout.double_residual)


def local_spec(config: BltConfig) -> BlockSpec:
    """The blocks and attention over bytes: local encoder, pooling, local decoder."""
    return _spec(config, config.local_size, config.local_heads, config.local_ffn_size)


def latent_spec(config: BltConfig) -> BlockSpec:
    """The blocks of the latent transformer."""
    return _spec(config, config.latent_size, config.latent_heads, config.latent_ffn_size)


def rope_theta(config: BltConfig) -> float:
    return config.rope_theta or LAYOUTS[config.layout].rope_theta

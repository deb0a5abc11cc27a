"""The blt plugin's commands of the interactive analysis: every patching setting
(``:mode``, ``:threshold``, ``:relative``, ``:size``, ``:target``, ``:min``, ``:max``),
the patches of the last input (``:patches``) and the status line's patching part."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import click

from neat_core.api import NeatConfig, UsageError

from ..byte_latent.settings import BltConfig, own_settings
from ..patching.settings import MODES, PatchingConfig
from .escape import escape

PATCHES_SHOWN = 30  # rows of :patches without a count


def describe(patching: PatchingConfig) -> str:
    threshold = patching.active_threshold
    text = f"mode {patching.mode}"
    if patching.mode == "static":
        text += f", {patching.patch_size}-byte patches"
    elif patching.target_patch_size is not None:
        text += f", threshold calibrated for {patching.target_patch_size:g}-byte patches"
    elif threshold is not None:
        text += f", {patching.threshold_field} {threshold:g} bits"
    if patching.mode == "combined":
        text += f", relative_threshold {patching.relative_threshold:g} bits"
    return text


def describe_own(settings: Mapping[str, Any]) -> str:
    """A model's own patching (``ModelPatching.settings``), in words."""
    text = f"the model's patches, mode {settings['mode']}"
    if "patch_size" in settings:
        text += f", {settings['patch_size']}-byte patches"
    for name in ("threshold", "relative_threshold"):
        if name in settings:
            text += f", {name} {settings[name]:.4g} bits"
    if "target_patch_size" in settings:
        text += f" (calibrated for {settings['target_patch_size']:g}-byte patches)"
    return text


def status(config: NeatConfig) -> str:
    """The patching part of the status line: a BLT's own patches, else the patching
    section's."""
    if isinstance(config.model, BltConfig):
        return describe_own(own_settings(config.model))
    return describe(config.settings(PatchingConfig))


def threshold(config: NeatConfig, argument: str) -> dict[str, Any]:
    """``:threshold X``: the threshold of the current mode, in bits; clears a target."""
    patching = config.settings(PatchingConfig)
    if not argument:
        click.echo(describe(patching))
        return {}
    if not patching.uses_threshold:
        raise UsageError(f":threshold has no effect in mode '{patching.mode}'",
                         hint="switch to global, relative or combined with :mode")
    return {f"patching.{patching.threshold_field}": argument,
            "patching.target_patch_size": None}


def mode(config: NeatConfig, argument: str) -> dict[str, Any]:
    """``:mode M``: the patching mode; without M, show the current one."""
    if not argument:
        click.echo(describe(config.settings(PatchingConfig)))
        return {}
    if argument not in MODES:
        raise UsageError(f"unknown patching mode '{argument}'", hint=", ".join(MODES))
    return {"patching.mode": argument}


def setting_command(name: str) -> Callable[[NeatConfig, str], dict[str, Any]]:
    """A command that sets ``patching.NAME`` (parsed and checked like ``--set``; ``off``
    clears an optional one), or shows it without an argument."""
    def command(config: NeatConfig, argument: str) -> dict[str, Any]:
        if not argument:
            click.echo(f"patching.{name} = {getattr(config.settings(PatchingConfig), name)}")
            return {}
        return {f"patching.{name}": "null" if argument == "off" else argument}

    return command


def patches(config: NeatConfig, argument: str,
            results: Mapping[str, Any] | None) -> dict[str, Any]:
    """``:patches [N]``: the first N patches of the last input, with their entropy."""
    section = (results or {}).get("results", {}).get("patches")
    if section is None:
        raise UsageError(":patches lists the patches of the last input, and there is none",
                         hint="type some text, or :load FILE")
    try:
        count = int(argument) if argument else PATCHES_SHOWN
    except ValueError:
        raise UsageError(f":patches takes a number of patches, got '{argument}'",
                         hint="e.g. :patches 50") from None
    preview = section["preview"]
    data, entropies = bytes(preview["bytes"]), preview["entropies"]
    edges = [*preview["boundaries"], len(data)]
    click.echo(f"{'#':>4} {'start':>6} {'bytes':>5} {'H first':>7} {'H mean':>6}  text")
    for index, (start, end) in enumerate(zip(edges[:count], edges[1:count + 1])):
        values = entropies[start:end]
        click.echo(f"{index:>4} {start:>6} {end - start:>5} {values[0]:>7.2f} "
                   f"{sum(values) / len(values):>6.2f}  {escape(data[start:end])}")
    left = len(edges) - 1 - count
    if left > 0:
        click.echo(f"… {left} more in the first {len(data):,} bytes (:patches {len(edges) - 1} "
                   f"lists them)")
    return {}


SETTINGS = (("relative", "relative_threshold", "relative threshold in bits (modes relative, "
                                               "combined)"),
            ("size", "patch_size", "patch size in bytes of mode static"),
            ("target", "target_patch_size", "calibrate the threshold for this mean patch "
                                            "size in bytes; off: use the threshold"),
            ("min", "min_patch_size", "merge patches shorter than this; off: none"),
            ("max", "max_patch_size", "split patches longer than this; off: none"))


def register(register: Any) -> None:
    """The registrations of ``register_interactive_commands``."""
    register("mode", mode, status=status, choices=MODES,
             description="patching mode: global, relative, combined, static or space; "
                         "no value: show it")
    register("threshold", threshold,
             description="threshold of the current patching mode in bits (0-8); clears a "
                         "target size; no value: show it")
    for command, name, description in SETTINGS:
        register(command, setting_command(name), description=f"{description}; no value: "
                                                              f"show it")
    register("patches", patches, reads_results=True,
             description="the patches of the last input: start, size, entropy, text "
                         "(:patches N for N of them)")

"""The blt plugin's commands of the interactive analysis: ``:threshold`` and ``:mode``."""

from __future__ import annotations

from typing import Any

import click

from neat_core.config import NeatConfig
from neat_core.errors import UsageError

from .config import MODES, PatchingConfig


def describe(patching: PatchingConfig) -> str:
    threshold = patching.active_threshold
    return f"mode {patching.mode}" + ("" if threshold is None else
                                      f", {patching.threshold_field} {threshold:g} bits")


def threshold(config: NeatConfig, argument: str) -> dict[str, Any]:
    """``:threshold X``: the threshold of the current mode, in bits; clears a target."""
    patching = config.settings(PatchingConfig)
    if not argument:
        click.echo(describe(patching))
        return {}
    if not patching.uses_threshold:
        raise UsageError(f":threshold has no effect in mode '{patching.mode}'",
                         hint="switch to global, relative or combined with :mode")
    try:
        bits = float(argument)
    except ValueError:
        raise UsageError(f":threshold needs a number of bits, got '{argument}'",
                         hint="e.g. :threshold 1.5") from None
    return {f"patching.{patching.threshold_field}": bits, "patching.target_patch_size": None}


def mode(config: NeatConfig, argument: str) -> dict[str, Any]:
    """``:mode M``: the patching mode; without M, show the current one."""
    if not argument:
        click.echo(describe(config.settings(PatchingConfig)))
        return {}
    if argument not in MODES:
        raise UsageError(f"unknown patching mode '{argument}'", hint=", ".join(MODES))
    return {"patching.mode": argument}

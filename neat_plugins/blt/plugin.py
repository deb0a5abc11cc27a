"""Entry-point module of the blt plugin: the blt-entropy model and `neat patch`.

Light on purpose: torch is imported only when a model is built or a command runs.
"""

from __future__ import annotations

from neat_core import hookimpl

from .config import BltEntropyConfig


def build_model(config: BltEntropyConfig):
    from .model import EntropyModel

    return EntropyModel(config)


@hookimpl
def register_models(register) -> None:
    register("blt-entropy", build_model, config_class=BltEntropyConfig,
             description="Causal byte-level transformer that estimates next-byte entropy (BLT)")


def build_patch_stats(model, config, backend):
    from .patch_stats import PatchStats

    return PatchStats(model, config, backend)


@hookimpl
def register_evaluators(register) -> None:
    register("patches", build_patch_stats,
             description="Patch statistics, threshold sweep and calibration, shaded preview")


@hookimpl
def register_commands(cli) -> None:
    from .patch_cmd import patch

    cli.add_command(patch)

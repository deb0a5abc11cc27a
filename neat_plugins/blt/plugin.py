"""Entry-point module of the blt plugin: the blt-entropy and blt models, the ``patching``
section, the patch evaluator, `neat patch`, `neat study blt`, `neat import` and
`neat export`, and the interactive commands (``:mode``, ``:threshold``, ``:patches``, ...).

Light on purpose: it imports settings only; torch is imported when a model is built or a
command runs.
"""

from __future__ import annotations

from typing import Any

from neat_core.api import hookimpl

from .byte_latent.settings import BltConfig
from .commands import interactive
from .entropy_model.settings import ENTROPY_MODEL, BltEntropyConfig
from .patching.settings import PatchingConfig


def build_model(config: BltEntropyConfig) -> Any:
    from .entropy_model.model import EntropyModel

    return EntropyModel(config)


def build_blt(config: BltConfig) -> Any:
    from .byte_latent.model import ByteLatentTransformer

    model = ByteLatentTransformer(config)
    model.patcher.copy_entropy_weights()
    return model


def build_patch_stats(model: Any, config: Any, backend: Any) -> Any:
    from neat_core.api import Scorer

    from .patching.evaluator import PatchStats

    patching = getattr(model, "patching", None)
    own = patching() if callable(patching) else None
    return PatchStats(Scorer(model, config, backend), config, own)


@hookimpl
def register_models(register: Any) -> None:
    register(ENTROPY_MODEL, build_model, config_class=BltEntropyConfig, default=True,
             description="Causal byte-level transformer that estimates next-byte entropy (BLT)")
    register("blt", build_blt, config_class=BltConfig,
             description="Byte Latent Transformer: local encoder, latent transformer over "
                         "patches, local decoder")


@hookimpl
def register_config_sections(register: Any) -> None:
    register("patching", config_class=PatchingConfig,
             description="Entropy patching: where patches start (neat patch, neat analyze)")


@hookimpl
def register_evaluators(register: Any) -> None:
    register("patches", build_patch_stats, default=True, analysis=True,
             description="Patch statistics, threshold sweep and calibration, shaded preview")


@hookimpl
def register_interactive_commands(register: Any) -> None:
    interactive.register(register)


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands.interop import export_command, import_command
    from .commands.patch import patch
    from .study.command import study

    cli.add_command(patch)
    cli.add_command(study)
    cli.add_command(import_command)
    cli.add_command(export_command)

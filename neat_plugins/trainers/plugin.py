"""Entry-point module of the trainers plugin: registers the ``standard`` trainer.

Light on purpose: torch is imported only when a trainer is built.
"""

from __future__ import annotations

from typing import Any

from neat_core.api import NeatConfig, hookimpl

from .settings import StandardSettings


def build_standard(config: NeatConfig, backend: Any) -> Any:
    from .standard import StandardTrainer

    return StandardTrainer(config, backend)


@hookimpl
def register_trainers(register) -> None:
    register("standard", build_standard, default=True, config_class=StandardSettings,
             description="AdamW with warmup and decay, mixed precision, fixed-window "
                         "evaluation, rotating checkpoints, exact resume, DDP under torchrun")

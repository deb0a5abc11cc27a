"""Weights & Biases: the scalars of :mod:`.metrics` and the run's config, in offline mode
by default (the run's files are written under ``<dir>/wandb/``, nothing reaches a
server; ``wandb sync`` uploads them later).

Each training session is a W&B run named after the run directory and grouped by it, so
a resumed run shows as a second run of the group whose steps continue from the
checkpoint. W&B's own terminal output and console capture are off: NEAT logs where the
files went.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from neat_core.api import NeatConfig, to_dict

from .config import WandbSettings
from .metrics import require, scalars

log = logging.getLogger("neat.train")


class WandbLogger:
    def __init__(self, settings: WandbSettings, config: NeatConfig, run_dir: Path) -> None:
        require("wandb", "wandb", "wandb")
        self.settings, self.config, self.run_dir = settings, config, run_dir
        self.run: Any = None

    def on_train_start(self, info: dict[str, Any]) -> None:
        import wandb

        directory = self.run_dir / self.settings.dir
        directory.mkdir(parents=True, exist_ok=True)
        name = self.run_dir.resolve().name
        self.run = wandb.init(
            project=self.settings.project, name=name, group=name, dir=str(directory),
            mode=self.settings.mode, config=to_dict(self.config), reinit="create_new",
            settings=wandb.Settings(console="off", silent=True))
        log.info("wandb: %s run %s in %s", self.settings.mode, self.run.id, self.run.dir)

    def on_log(self, record: dict[str, Any]) -> None:
        self.run.log(scalars(record), step=record["step"])

    on_eval = on_log  # eval records name their own group

    def on_train_end(self, metrics: dict[str, Any]) -> None:
        if self.run is not None:
            self.run.finish(exit_code=130 if metrics.get("interrupted") else 0)

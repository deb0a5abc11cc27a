"""MLflow: the scalars of :mod:`.metrics` as metrics, the run's config as parameters
(dotted keys), written through ``MlflowClient`` to the tracking store of
``callbacks.mlflow.tracking_uri`` (default: ``mlflow.db``, SQLite, in the run's output
directory; no server).

Each training session is an MLflow run named after the run directory, tagged with it
(``neat.run_dir``) and with the step it started from (``neat.start_step``), so a resumed
run shows as a second run whose steps continue from the checkpoint.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from neat_core.api import NeatConfig, to_dict

from .config import MlflowSettings
from .metrics import require, scalars

log = logging.getLogger("neat.train")

SQLITE = "sqlite:///"
PARAMS_PER_CALL = 100  # MLflow's limit for one log_batch


def tracking_uri(setting: str, run_dir: Path) -> str:
    """The setting, with a relative SQLite path made relative to the run directory."""
    if setting.startswith(SQLITE) and not setting[len(SQLITE):].startswith("/"):
        return SQLITE + str((run_dir / setting[len(SQLITE):]).resolve())
    return setting


def params(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every setting as ``(dotted key, value as JSON)``."""
    for key, value in config.items():
        if isinstance(value, Mapping):
            yield from params(value, f"{prefix}{key}.")
        else:
            yield prefix + key, json.dumps(value)


class MlflowLogger:
    def __init__(self, settings: MlflowSettings, config: NeatConfig, run_dir: Path) -> None:
        sqlite = settings.tracking_uri.startswith("sqlite:")
        require("mlflow", "mlflow", "mlflow", *(("sqlalchemy", "alembic") if sqlite else ()))
        self.settings, self.config, self.run_dir = settings, config, run_dir
        self.client: Any = None
        self.run_id: str | None = None

    def on_train_start(self, info: dict[str, Any]) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        uri = tracking_uri(self.settings.tracking_uri, self.run_dir)
        self.client = MlflowClient(tracking_uri=uri)
        experiment = self.client.get_experiment_by_name(self.settings.experiment)
        experiment_id = (experiment.experiment_id if experiment is not None else
                         self.client.create_experiment(self.settings.experiment))
        run = self.client.create_run(
            experiment_id, run_name=self.run_dir.resolve().name,
            tags={"neat.run_dir": str(self.run_dir.resolve()),
                  "neat.model": self.config.model.name, "neat.start_step": str(info["step"])})
        self.run_id = run.info.run_id
        values = [Param(key, value) for key, value in params(to_dict(self.config))]
        for start in range(0, len(values), PARAMS_PER_CALL):
            self.client.log_batch(self.run_id, params=values[start:start + PARAMS_PER_CALL])
        log.info("mlflow: run %s in %s", self.run_id, uri)

    def on_log(self, record: dict[str, Any]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[
            Metric(name, float(value), now, record["step"])
            for name, value in scalars(record).items()])

    on_eval = on_log  # eval records name their own group

    def on_train_end(self, metrics: dict[str, Any]) -> None:
        if self.run_id is not None:
            self.client.set_terminated(self.run_id,
                                       "KILLED" if metrics.get("interrupted") else "FINISHED")

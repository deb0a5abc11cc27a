"""Settings of the loggers (sections ``callbacks.<logger>``); each is off by default."""

from __future__ import annotations

from typing import Literal

from neat_core.api import CallbackConfig, frozen, setting


@frozen
class TensorBoardSettings(CallbackConfig):
    enabled: bool = setting(False, help="Write TensorBoard event files during training "
                                        "(needs the tensorboard extra).")
    log_dir: str = setting("tensorboard", help="Directory of the event files; relative "
                                               "paths are inside the run's output "
                                               "directory.")


@frozen
class CsvSettings(CallbackConfig):
    enabled: bool = setting(False, help="Write train.csv and eval.csv (one row per "
                                        "record of metrics.jsonl) in the run's output "
                                        "directory.")


@frozen
class WandbSettings(CallbackConfig):
    enabled: bool = setting(False, help="Log to Weights & Biases during training (needs the "
                                        "wandb extra).")
    mode: Literal["offline", "online"] = setting(
        "offline", help="offline: write the run's files and never reach a server (upload "
                        "them later with `wandb sync`); online: stream to the W&B server "
                        "you are logged in to.")
    project: str = setting("neat", help="W&B project of the runs.")
    dir: str = setting(".", help="Directory under which W&B writes its wandb/ folder; "
                                 "relative paths are inside the run's output directory.")


@frozen
class MlflowSettings(CallbackConfig):
    enabled: bool = setting(False, help="Log to MLflow during training (needs the mlflow "
                                        "extra).")
    tracking_uri: str = setting(
        "sqlite:///mlflow.db", help="MLflow tracking store. A relative sqlite path is "
                                    "inside the run's output directory; any MLflow URI "
                                    "works (sqlite:////abs/path.db, http://host:5000).")
    experiment: str = setting("neat", help="MLflow experiment of the runs (created when "
                                           "missing).")

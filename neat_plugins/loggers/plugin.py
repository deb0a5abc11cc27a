"""Entry-point module of the loggers plugin: registers the TensorBoard, CSV, W&B and
MLflow loggers.

Light on purpose: torch.utils.tensorboard, wandb and mlflow are imported only when a
run enables them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neat_core.api import NeatConfig, hookimpl

from .config import CsvSettings, MlflowSettings, TensorBoardSettings, WandbSettings


def build_tensorboard(config: NeatConfig, run_dir: Path) -> Any:
    from .tensorboard import TensorBoardLogger

    return TensorBoardLogger(config.settings(TensorBoardSettings), run_dir)


def build_csv(config: NeatConfig, run_dir: Path) -> Any:
    from .csv_log import CsvLogger

    return CsvLogger(run_dir)


def build_wandb(config: NeatConfig, run_dir: Path) -> Any:
    from .wandb_log import WandbLogger

    return WandbLogger(config.settings(WandbSettings), config, run_dir)


def build_mlflow(config: NeatConfig, run_dir: Path) -> Any:
    from .mlflow_log import MlflowLogger

    return MlflowLogger(config.settings(MlflowSettings), config, run_dir)


@hookimpl
def register_training_callbacks(register) -> None:
    register("tensorboard", build_tensorboard, config_class=TensorBoardSettings,
             description="TensorBoard scalars: loss, bits per byte, learning rate, "
                         "gradient norm, bytes/s and eval metrics (tensorboard extra)")
    register("csv", build_csv, config_class=CsvSettings,
             description="train.csv and eval.csv beside metrics.jsonl")
    register("wandb", build_wandb, config_class=WandbSettings,
             description="Weights & Biases: the same scalars and the config, offline by "
                         "default (wandb extra)")
    register("mlflow", build_mlflow, config_class=MlflowSettings,
             description="MLflow: the same scalars as metrics, the config as parameters, "
                         "in a local SQLite store by default (mlflow extra)")

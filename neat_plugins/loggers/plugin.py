"""Entry-point module of the loggers plugin: registers the TensorBoard and CSV loggers.

Light on purpose: torch.utils.tensorboard is imported only when a run enables it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neat_core.api import NeatConfig, hookimpl

from .config import CsvSettings, TensorBoardSettings


def build_tensorboard(config: NeatConfig, run_dir: Path) -> Any:
    from .tensorboard import TensorBoardLogger

    return TensorBoardLogger(config.settings(TensorBoardSettings), run_dir)


def build_csv(config: NeatConfig, run_dir: Path) -> Any:
    from .csv_log import CsvLogger

    return CsvLogger(run_dir)


@hookimpl
def register_training_callbacks(register) -> None:
    register("tensorboard", build_tensorboard, config_class=TensorBoardSettings,
             description="TensorBoard scalars: loss, bits per byte, learning rate, "
                         "gradient norm, bytes/s and eval metrics (tensorboard extra)")
    register("csv", build_csv, config_class=CsvSettings,
             description="train.csv and eval.csv beside metrics.jsonl")

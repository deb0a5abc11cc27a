"""Settings of the loggers (sections ``callbacks.<logger>``); each is off by default."""

from __future__ import annotations

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

"""Entry-point module of the example plugin (``[project.entry-points.neat]``).

Keep it light: NEAT imports it for every command, even ``neat --help``. It only names
what the plugin offers, with its settings classes (``config.py``, attrs only) and lazy
factories: each factory imports its module -- and torch -- when the object is built.
"""

from __future__ import annotations

from neat_core.api import hookimpl

from .backend import BackgroundCpuBackend  # light: a backend imports torch in its methods
from .config import (
    BackgroundCpuSettings,
    ByteGruConfig,
    CsvLogSettings,
    MarkdownSettings,
    SurpriseSettings,
)


def build_model(config):  # config: the model section, a ByteGruConfig
    from .model import ByteGru  # torch is imported here, not at start-up

    return ByteGru(config)


def build_evaluator(model, config, backend):  # the model on the device, the whole config
    from .evaluator import Surprise

    return Surprise(model, config, backend)


def build_report(config):  # the whole config, or None
    from .report import MarkdownReport

    return MarkdownReport(config)


def build_csv_log(config, run_dir):  # called only when callbacks.csv-log.enabled is true
    from .callback import CsvLog

    return CsvLog(config.settings(CsvLogSettings), run_dir)


@hookimpl
def register_models(register) -> None:
    register("byte-gru", build_model, config_class=ByteGruConfig,
             description="Example plugin: a small GRU over bytes")


@hookimpl
def register_backends(register) -> None:
    # the class is the factory: constructing a backend is cheap and touches no device
    register(BackgroundCpuBackend.name, BackgroundCpuBackend, config_class=BackgroundCpuSettings,
             description=BackgroundCpuBackend.description)


@hookimpl
def register_evaluators(register) -> None:
    register("surprise", build_evaluator, config_class=SurpriseSettings,
             description="Example plugin: bits per byte by byte class and the most "
                         "surprising bytes")


@hookimpl
def register_reports(register) -> None:
    register("markdown", build_report, config_class=MarkdownSettings,
             description="Example plugin: results as <kind>.md")


@hookimpl
def register_training_callbacks(register) -> None:
    register("csv-log", build_csv_log, config_class=CsvLogSettings,
             description="Example plugin: training metrics as metrics.csv (opt-in)")


@hookimpl
def register_commands(cli) -> None:
    from .commands import byte_stats

    cli.add_command(byte_stats)

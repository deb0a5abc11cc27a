"""Entry-point module of the example plugin (``[project.entry-points.neat]``).

Keep it light: NEAT imports it for every command, even ``neat --help``. It only names
what the plugin offers; torch is imported by ``build_model`` when a model is built.
"""

from __future__ import annotations

from neat_core import hookimpl

from .config import ByteGruConfig


def build_model(config: ByteGruConfig):
    from .model import ByteGru  # torch is imported here, not at start-up

    return ByteGru(config)


def build_report():
    from .report import MarkdownReport

    return MarkdownReport()


@hookimpl
def register_models(register) -> None:
    register("byte-gru", build_model, config_class=ByteGruConfig,
             description="Example plugin: a small GRU over bytes")


@hookimpl
def register_reports(register) -> None:
    register("markdown", build_report, description="Example plugin: results as report.md")


@hookimpl
def register_commands(cli) -> None:
    from .commands import byte_stats

    cli.add_command(byte_stats)

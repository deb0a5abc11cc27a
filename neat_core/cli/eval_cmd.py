"""``neat eval`` and ``neat compare``: how good a model is, beside gzip, bz2 and xz."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import attrs
import click

from ..commands import config_command

if TYPE_CHECKING:
    from ..config import ResolvedConfig

log = logging.getLogger("neat.evaluate")

FLAGS = ("backend.name", "eval.reports", "run.progress")  # of eval, compare and analyze

CHECKPOINTS = click.argument("checkpoints", nargs=-1, required=True, metavar="CHECKPOINT...")
DATA = click.option("--data", "data", multiple=True, metavar="SOURCE",
                    help="File, directory, glob or synthetic:<pattern> to evaluate on "
                         "(repeatable). Default: the checkpoint config's evaluation split "
                         "(data.eval, else the held-out share of data.train).")
OUT = click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                   default=Path("."), show_default=True,
                   help="Directory for file reports (json, html).")


def quiet_config(resolved: ResolvedConfig) -> ResolvedConfig:
    """With ``neat -q``, no progress bars, whatever the config says."""
    from ..config import ResolvedConfig

    if not (click.get_current_context().obj or {}).get("quiet", False):
        return resolved
    config = resolved.config
    sources = {**resolved.sources, "run.progress": "-q"}
    return ResolvedConfig(attrs.evolve(config, run=attrs.evolve(config.run, progress=False)),
                          sources)


def emit(results: Mapping[str, Any], resolved: ResolvedConfig, out: Path) -> None:
    """Render ``results`` with each report of ``eval.reports`` (with the report settings
    of ``resolved``); say where file reports went."""
    from ..reporting import write_reports

    config = resolved.config
    for path in write_reports(results, config.eval.reports, out, config):
        log.info("wrote %s", path)


def run_eval(resolved: ResolvedConfig, checkpoints: Sequence[str], data: Sequence[str],
             out: Path) -> None:
    from ..app import compare, evaluate
    from ..reporting import report_writers

    resolved = quiet_config(resolved)
    reports = resolved.config.eval.reports
    report_writers(reports, resolved.config, out)  # unknown names, unwritable --out: now
    if len(checkpoints) == 1:
        results = evaluate(checkpoints[0], data=list(data) or None, overrides=resolved)
    else:
        results = compare(checkpoints, data=list(data) or None, overrides=resolved)
    emit(results, resolved, out)


@config_command("eval", *FLAGS)
@CHECKPOINTS
@DATA
@OUT
def eval_command(resolved: ResolvedConfig, checkpoints: tuple[str, ...],
                 data: tuple[str, ...], out: Path) -> None:
    """Loss, perplexity and bits per byte of CHECKPOINT with full context, beside
    gzip/bz2/xz.

    CHECKPOINT is a checkpoint directory or a run directory (its best, else newest
    checkpoint). Several checkpoints are compared side by side on the same bytes.
    The checkpoint's own config is the base; flags, -c and --set override it.
    Reports: --report text,json,html (files go to --out).
    """
    run_eval(resolved, checkpoints, data, out)


@config_command("compare", *FLAGS)
@click.argument("first", metavar="CHECKPOINT_A")
@click.argument("others", nargs=-1, required=True, metavar="CHECKPOINT_B...")
@DATA
@OUT
def compare_command(resolved: ResolvedConfig, first: str, others: tuple[str, ...],
                    data: tuple[str, ...], out: Path) -> None:
    """The metrics of `neat eval` for several checkpoints side by side, on the same bytes
    (default: the first checkpoint's evaluation split)."""
    run_eval(resolved, (first, *others), data, out)

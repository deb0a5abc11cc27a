"""``neat study blt``: train the arms of a BLT study, resume it, and write its reports.

Light on purpose: torch and the runner load when the command runs.
"""

from __future__ import annotations

import logging
import typing
from pathlib import Path
from typing import Any, Callable

import attrs
import click

from neat_core.api import UsageError

from .arms import DEFAULT_ARMS, Shapes, parse_arm

log = logging.getLogger("neat.study")

DEFAULT_BUDGETS = (0.5, 1.0, 2.0)  # training TFLOP: minutes per run on a laptop CPU
DEFAULT_SEEDS = (0, 1, 2)
SHAPE_HELP = {
    "data": "Data spec the study's bytes come from (a path, glob or NAME:TARGET).",
    "max_bytes": "Training bytes taken from --data.",
    "eval_fraction": "Share of --data's documents held out (once, for the whole study).",
    "eval_windows": "Held-out windows every run is scored on.",
    "block_size": "Context in bytes of every model.",
    "batch_size": "Windows per training step.",
    "learning_rate": "Peak learning rate of every run.",
    "hash_ngrams": "Hash n-gram sizes of every model (comma-separated; 'none': none).",
    "hash_buckets": "Rows of each hash n-gram table.",
    "byte_hidden": "Width of the byte model.",
    "byte_layers": "Layers of the byte model.",
    "local_size": "Width of the BLTs' local encoder and decoder.",
    "local_window": "Bytes a byte attends to in the BLTs' local layers ('none': all).",
    "encoder_layers": "Layers of the BLTs' local encoder.",
    "decoder_layers": "Layers of the BLTs' local decoder.",
    "latent_size": "Width of the BLTs' latent transformer.",
    "latent_layers": "Layers of the BLTs' latent transformer.",
    "queries_per_patch": "Vectors each patch is pooled into (k).",
    "entropy_hidden": "Width of the entropy model of the entropy arms.",
    "entropy_layers": "Layers of the entropy model.",
    "entropy_block": "Context in bytes of the entropy model.",
    "entropy_steps": "Training steps of the entropy model (trained once per study).",
}


def _numbers(kind: Callable[[str], Any]) -> Callable[[Any, Any, Any], Any]:
    def parse(ctx: Any, param: Any, value: Any) -> Any:
        if value is None or isinstance(value, tuple):
            return value
        if str(value).lower() == "none":
            return ()
        try:
            return tuple(kind(part) for part in str(value).split(",") if part.strip())
        except ValueError:
            raise click.BadParameter(f"expected comma-separated numbers, got {value!r}"
                                     ) from None
    return parse


def _optional_int(ctx: Any, param: Any, value: Any) -> Any:
    if value is None or str(value).lower() == "none":
        return None
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"expected a number or 'none', got {value!r}") from None


def shape_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """A command option for every shared setting of a study (:class:`~.arms.Shapes`)."""
    hints = typing.get_type_hints(Shapes)
    for field in reversed(attrs.fields(Shapes)):
        flag = "--" + field.name.replace("_", "-")
        help_text = SHAPE_HELP[field.name]
        kind = hints[field.name]
        if field.name == "hash_ngrams":
            option = click.option(flag, field.name,
                                  default=",".join(str(n) for n in field.default or ()),
                                  show_default=True, callback=_numbers(int), help=help_text)
        elif kind == int | None:
            option = click.option(flag, field.name, default=str(field.default),
                                  show_default=True, callback=_optional_int, help=help_text)
        else:
            option = click.option(flag, field.name, type=kind, default=field.default,
                                  show_default=True, help=help_text)
        function = option(function)
    return function


@click.group("study")
def study() -> None:
    """Studies: many training runs compared on one held-out set (resumable)."""


@study.command("blt")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/study-blt"),
              show_default=True, help="The study's directory (run again to continue it).")
@click.option("--arms", default=",".join(DEFAULT_ARMS), show_default=True,
              help="Comma-separated arms: byte, space, static-N, entropy-N (N bytes per "
                   "patch; entropy: the calibrated mean).")
@click.option("--budgets", default=",".join(f"{b:g}" for b in DEFAULT_BUDGETS),
              show_default=True, callback=_numbers(float),
              help="Training budgets in TFLOP (comma-separated): every arm trains once "
                   "per budget and seed, for as many steps as the budget buys.")
@click.option("--seeds", default=",".join(map(str, DEFAULT_SEEDS)), show_default=True,
              callback=_numbers(int), help="Seeds (comma-separated): each seed trains "
                                           "every arm on the same bytes, in the same order.")
@click.option("--backend", default="cpu", show_default=True, help="Backend of every run.")
@click.option("--threads", type=int, default=None,
              help="Torch threads on the CPU (default: the backend's choice).")
@click.option("--cache-dir", default="~/.cache/neat", show_default=True,
              help="The byte cache of --data.")
@click.option("--report-only", is_flag=True,
              help="Write the reports from the runs that finished; train nothing.")
@shape_options
def blt(out: Path, arms: str, budgets: tuple[float, ...], seeds: tuple[int, ...],
        backend: str, threads: int | None, cache_dir: str, report_only: bool,
        **shapes: Any) -> None:
    """Train and compare the byte model and BLTs at equal training FLOPs.

    Every arm trains at every budget (training TFLOP, the entropy model's forward
    included) for every seed on the same training bytes, and is scored on one set of
    held-out windows shared by all runs, so differences between arms are paired. Writes
    report.json, report.md and report.html to --out: held-out bits per byte against
    training FLOPs and against inference FLOPs per byte (the Pareto frontier marked),
    and each arm's paired difference to the byte model. Run the same command again to
    continue a study that was cut off; add arms, budgets or seeds to extend it.
    """
    from .plan import StudyDir, runs
    from .report import write_reports

    chosen = [parse_arm(name.strip()) for name in arms.split(",") if name.strip()]
    if not chosen or not budgets or not seeds:
        raise UsageError("a study needs arms, budgets and seeds",
                         hint="e.g. --arms byte,static-4 --budgets 1 --seeds 0")
    if any(budget <= 0 for budget in budgets):
        raise UsageError(f"budgets must be positive, got {list(budgets)}")
    settings = Shapes(**shapes)
    directory = StudyDir(out)
    directory.open(settings)
    quiet = (click.get_current_context().find_root().obj or {}).get("quiet", False)
    names = [arm.name for arm in chosen]
    summary = {"shapes": attrs.asdict(settings), "arms": names, "budgets": list(budgets),
               "seeds": list(seeds)}
    if not report_only:
        from .runner import Study

        runner = Study(directory, settings, backend=backend, threads=threads,
                       cache_dir=cache_dir, progress=not quiet)
        runner.prepare_data()
        planned = runs(chosen, budgets, seeds)
        for index, run in enumerate(planned):
            log.info("study: run %d of %d", index + 1, len(planned))
            runner.execute(run)
    results = [result for result in directory.all_results() if result["arm"] in names]
    if not results:
        raise UsageError(f"no finished runs in {out}", hint="run the study without "
                                                            "--report-only first")
    report = write_reports(out, summary, results, names)
    from .report import markdown

    click.echo(markdown(report["summary"]))
    log.info("reports: %s, %s, %s", out / "report.md", out / "report.html",
             out / "report.json")

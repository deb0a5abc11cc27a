"""``train(config)``: running a trainer, the Python face of ``neat train`` (also what
``neat bench`` times).

Picks the backend, looks up ``training.trainer`` in the registry, locks and checks the
output directory and what to resume, and runs the trainer. Under ``torchrun`` every
process calls this; the trainer plugin takes care of the process group, and rank 0
holds the run directory's lock (one writer per run directory).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import attrs

from ..backends import select_backend
from ..checkpoint import (
    foreign_data_error,
    load_checkpoint,
    read_meta,
    resolve_over_checkpoint,
    withheld_data,
)
from ..config import NeatConfig, ResolvedConfig, default_config, load_config
from ..contracts import TrainResult, check_train_result
from ..distributed import DistEnv
from ..errors import CheckpointError, DiskFullError, UsageError
from ..registry import get_registry
from . import LATEST
from .run_dir import CHECKPOINTS, RunDirectory

log = logging.getLogger("neat.train")


def find_checkpoint(resume: str | Path | bool, output_dir: str | Path) -> Path:
    """The checkpoint directory ``resume`` names.

    ``True`` or ``"latest"``: the newest checkpoint of ``output_dir``; a run directory:
    its newest checkpoint; anything else: that checkpoint directory. Call it while
    holding the run's lock (:func:`train` does): the newest checkpoint of a run that is
    still writing is not yet known.
    """
    if resume is True or resume is False or resume == LATEST:
        return _latest_in(RunDirectory(output_dir))
    path = Path(resume).expanduser()
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist",
                              hint="pass a checkpoint directory (…/checkpoints/step-N) or "
                                   "a run's output dir")
    run = RunDirectory(path)
    return _latest_in(run) if run.checkpoints_dir.is_dir() else path


def resume_output_dir(resume: str | Path | bool, config: NeatConfig,
                      explicit: bool = True) -> Path:
    """Where a resumed run writes, known before its directory is read: the output dir
    the user set (``explicit``), else the run ``resume`` names (a run directory, or the
    run around a checkpoint), else ``config``'s -- never one a checkpoint records."""
    if not explicit and not (resume is True or resume == LATEST):
        path = Path(str(resume)).expanduser()
        if RunDirectory(path).checkpoints_dir.is_dir():
            return path
        if path.parent.name == CHECKPOINTS:
            return path.parent.parent
    return Path(config.run.output_dir).expanduser()


def _latest_in(run: RunDirectory) -> Path:
    latest = run.latest()
    if latest is None:
        raise UsageError(f"nothing to resume: no checkpoints in {run.checkpoints_dir}",
                         hint="train without --resume, or pass --resume PATH")
    return latest


def resume_config(checkpoint: str | Path, resolved: ResolvedConfig | None = None,
                  output_dir: str | Path | None = None) -> NeatConfig:
    """The checkpoint's own config with what the user set explicitly in ``resolved``.

    A run resumes with the model, data and schedule it was trained with; only values
    set on purpose (config file, flags, ``--set``; e.g. a higher ``training.max_steps``)
    change. It writes into ``output_dir`` (default :func:`resume_output_dir`'s). A
    checkpoint this user's NEAT did not write chooses no path: its data sources must be
    named (a CheckpointError offers them), its cache dir and callbacks are the user's.
    """
    checkpoint = Path(checkpoint)
    saved = load_checkpoint(checkpoint, training_state=False)
    resolved = resolved or load_config()
    explicit = {path for path, source in resolved.sources.items() if source != "default"}
    if "model.name" in explicit and resolved.config.model.name != saved.model_name:
        raise CheckpointError(f"checkpoint {checkpoint} holds model '{saved.model_name}', "
                              f"not '{resolved.config.model.name}'",
                              hint="drop --model when resuming")
    over = resolve_over_checkpoint(resolved, saved)
    withheld = withheld_data(saved, over)
    if withheld:
        raise foreign_data_error(checkpoint, withheld, "resume it on data of your own "
                                                       "with --set data.train=[...]")
    if output_dir is None:
        output_dir = resume_output_dir(checkpoint, resolved.config,
                                       "run.output_dir" in explicit)
    return attrs.evolve(over.config, run=attrs.evolve(over.config.run,
                                                      output_dir=str(output_dir)))


def init_config(checkpoint: str | Path, resolved: ResolvedConfig) -> NeatConfig:
    """The config of a run that starts from the weights of ``checkpoint`` (its
    ``training.init_from``): that checkpoint's model settings (the weights only fit
    them), everything else as ``resolved`` says; explicit ``model.*`` values still win
    (and are checked against the weights when they load)."""
    saved = load_checkpoint(checkpoint, training_state=False)
    return resolve_over_checkpoint(resolved, saved, sections=("model",)).config


def train(config: NeatConfig | ResolvedConfig | None = None, *,
          resume: str | Path | bool | None = None) -> TrainResult:
    """Train as ``config`` says and return the final metrics.

    ``resume``: a checkpoint directory, a run directory (its newest checkpoint), or
    ``True`` for the newest checkpoint in ``config.run.output_dir``. Without a config,
    a resumed run uses the checkpoint's own config, a new run the defaults; with a
    ``ResolvedConfig`` (what a command resolved), the checkpoint's config with the
    values set explicitly on top (:func:`resume_config`). The checkpoint is chosen and
    read only once the run directory's lock is held, so a run that is still writing is
    never resumed from a checkpoint it is about to replace.
    """
    target = None if resume is None or resume is False else resume
    resolved = config if isinstance(config, ResolvedConfig) else None
    plain = config if isinstance(config, NeatConfig) else None
    base = resolved.config if resolved is not None else plain or default_config()
    output_dir = base.run.output_dir
    if target is not None:
        explicit = plain is not None or (resolved is not None and resolved.sources.get(
            "run.output_dir", "default") != "default")
        output_dir = str(resume_output_dir(target, base, explicit))
    get_registry().get("trainers", base.training.trainer)  # an unknown one: before any write
    if target is None:
        _check_sources(base)  # a missing source: before the run directory is made
    env = DistEnv.from_environ()
    run = RunDirectory(output_dir)
    with contextlib.ExitStack() as held:
        if env.is_main:
            run.check_writable()
            held.enter_context(run.lock())
            run.remove_leftovers()
        checkpoint = None
        if target is not None:
            checkpoint = find_checkpoint(target, output_dir)
            if plain is None:
                plain = resume_config(checkpoint, resolved, output_dir)
        final = plain or base
        if env.is_main:
            _check_output_dir(run, checkpoint)
        else:
            logging.getLogger("neat").setLevel(logging.WARNING)  # rank 0 speaks for the job
        if checkpoint is not None:  # what can be checked before the backend starts
            _check_steps_left(checkpoint, final)
            _check_sources(final)  # the checkpoint's own sources, read under the lock
        entry = get_registry().get("trainers", final.training.trainer)
        backend = select_backend(final.backend)  # the first line of a run that starts
        trainer = entry.factory(final, backend)
        try:
            return check_train_result(trainer.run(resume=checkpoint), entry.name,
                                      entry.plugin)
        except DiskFullError as error:
            again = (f"continue with: neat train --resume {run.path} (nothing up to its "
                     f"last checkpoint is lost)" if run.latest() else "run it again")
            raise DiskFullError(error.message, hint=f"free some space on that disk, then "
                                                    f"{again}") from None


def _check_steps_left(checkpoint: Path, config: NeatConfig) -> None:
    step = read_meta(checkpoint)["step"]
    if step >= config.training.max_steps:
        raise CheckpointError(f"checkpoint {checkpoint} is at step {step}, and "
                              f"training.max_steps is {config.training.max_steps}: nothing "
                              f"left to train", hint="raise --max-steps to train further")


def _check_sources(config: NeatConfig) -> None:
    """Every data source names something to read (listed, not read yet): a missing path
    is reported before the backend is set up."""
    from ..data.sources import Sources

    sources = Sources(config)
    for split, specs in (("train", config.data.train), ("eval", config.data.eval)):
        for position, spec in enumerate(specs):
            sources.resolve(spec, (config.run.seed, split, position))


def _check_output_dir(run: RunDirectory, checkpoint: Path | None) -> None:
    existing = run.checkpoints()
    if not existing:
        return
    if checkpoint is None:
        raise UsageError(f"output dir {run.path} already holds checkpoints of a run",
                         hint="continue it with --resume, or choose another --output-dir")
    if checkpoint.resolve().parent != run.checkpoints_dir.resolve():
        raise UsageError(f"output dir {run.path} holds checkpoints of another run than "
                         f"{checkpoint}", hint="choose another --output-dir")

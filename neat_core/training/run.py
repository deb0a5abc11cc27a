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
from ..checkpoint import load_checkpoint, resolve_over_checkpoint
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
    its newest checkpoint; anything else: that checkpoint directory.
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


def _latest_in(run: RunDirectory) -> Path:
    latest = run.latest()
    if latest is None:
        raise UsageError(f"nothing to resume: no checkpoints in {run.checkpoints_dir}",
                         hint="train without --resume, or pass --resume PATH")
    return latest


def resume_config(checkpoint: str | Path, resolved: ResolvedConfig | None = None
                  ) -> NeatConfig:
    """The checkpoint's own config with what the user set explicitly in ``resolved``.

    A run resumes with the model, data and schedule it was trained with; only values
    set on purpose (config file, flags, ``--set``; e.g. a higher ``training.max_steps``)
    change. Without an explicit output dir, the run continues in the directory the
    checkpoint sits in.
    """
    checkpoint = Path(checkpoint)
    saved = load_checkpoint(checkpoint)
    resolved = resolved or load_config()
    explicit = {path for path, source in resolved.sources.items() if source != "default"}
    if "model.name" in explicit and resolved.config.model.name != saved.model_name:
        raise CheckpointError(f"checkpoint {checkpoint} holds model '{saved.model_name}', "
                              f"not '{resolved.config.model.name}'",
                              hint="drop --model when resuming")
    config = resolve_over_checkpoint(resolved, saved).config
    if "run.output_dir" not in explicit and checkpoint.parent.name == CHECKPOINTS:
        config = attrs.evolve(config, run=attrs.evolve(
            config.run, output_dir=str(checkpoint.parent.parent)))
    return config


def init_config(checkpoint: str | Path, resolved: ResolvedConfig) -> NeatConfig:
    """The config of a run that starts from the weights of ``checkpoint`` (its
    ``training.init_from``): that checkpoint's model settings (the weights only fit
    them), everything else as ``resolved`` says; explicit ``model.*`` values still win
    (and are checked against the weights when they load)."""
    saved = load_checkpoint(checkpoint)
    return resolve_over_checkpoint(resolved, saved, sections=("model",)).config


def train(config: NeatConfig | None = None, *,
          resume: str | Path | bool | None = None) -> TrainResult:
    """Train as ``config`` says and return the final metrics.

    ``resume``: a checkpoint directory, a run directory (its newest checkpoint), or
    ``True`` for the newest checkpoint in ``config.run.output_dir``. Without a config,
    a resumed run uses the checkpoint's own config, a new run the defaults.
    """
    checkpoint = None
    if resume is not None and resume is not False:
        output_dir = (config or default_config()).run.output_dir
        checkpoint = find_checkpoint(resume, output_dir)
        config = config or resume_config(checkpoint)
    config = config or default_config()
    entry = get_registry().get("trainers", config.training.trainer)
    env = DistEnv.from_environ()
    run = RunDirectory(config.run.output_dir)
    with contextlib.ExitStack() as held:
        if env.is_main:
            run.check_writable()
            held.enter_context(run.lock())
            run.remove_leftovers()
            _check_output_dir(run, checkpoint)
        else:
            logging.getLogger("neat").setLevel(logging.WARNING)  # rank 0 speaks for the job
        backend = select_backend(config.backend)
        trainer = entry.factory(config, backend)
        try:
            return check_train_result(trainer.run(resume=checkpoint), entry.name,
                                      entry.plugin)
        except DiskFullError as error:
            again = (f"continue with: neat train --resume {run.path} (nothing up to its "
                     f"last checkpoint is lost)" if run.latest() else "run it again")
            raise DiskFullError(error.message, hint=f"free some space on that disk, then "
                                                    f"{again}") from None


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

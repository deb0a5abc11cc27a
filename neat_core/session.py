"""A checkpoint opened for evaluation and analysis: its model on the backend its config
selects, the evaluators run over documents, and the results they make.

Results are JSON-ready dicts with the stable keys documented in docs/evaluation.md;
report plugins render them (:mod:`neat_core.reporting`).
"""

from __future__ import annotations

import datetime
import logging
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import attrs

from ._version import __version__
from .backends import select_backend
from .checkpoint import (
    CONFIG_FILE,
    META_FILE,
    MODEL_FILE,
    Checkpoint,
    foreign_data_error,
    load_checkpoint,
    resolve_over_checkpoint,
    withheld_data,
)
from .config import NeatConfig, Overrides, load_config, refuse_inactive, to_dict
from .errors import CheckpointError, RunError
from .flops import model_flops
from .inputs import Documents, DocumentStream, as_bytes
from .plugins import blamed
from .registry import get_registry
from .training.run_dir import RunDirectory

log = logging.getLogger("neat.evaluate")

RESULTS_SCHEMA_VERSION = 1
CHECKPOINT_FILES = (META_FILE, MODEL_FILE, CONFIG_FILE)  # any of them: a checkpoint


@attrs.frozen
class Session:
    """A checkpoint's model loaded once, with its resolved config and prepared backend."""

    path: Path
    model: Any
    config: NeatConfig
    backend: Any
    meta: Mapping[str, Any]

    def with_overrides(self, overrides: Overrides) -> Session:
        """The same model with config values changed (ConfigError when invalid)."""
        resolved = load_config(base=to_dict(self.config), overrides=overrides)
        refuse_inactive(resolved.config, resolved.sources)
        return attrs.evolve(self, config=resolved.config)

    def run(self, evaluators: Sequence[str], documents: DocumentStream | Documents
            ) -> dict[str, Any]:
        """Each named evaluator's results on ``documents``, by name.

        An evaluator gets ``(name, bytes)`` pairs, read into memory once for all that
        need them, unless it sets ``streams_documents = True``: then it gets an iterable
        of :class:`~neat_core.api.SourceDocument` whose chunks it reads in order, and
        its memory need not grow with the input.
        """
        entries = [get_registry().get("evaluators", name) for name in evaluators]
        results: dict[str, Any] = {}
        in_memory: Documents | None = None
        for entry in entries:
            log.debug("running evaluator %s", entry.name)
            with blamed(f"evaluator '{entry.name}'", entry.plugin):
                evaluator = entry.factory(self.model, self.config, self.backend)
                if getattr(evaluator, "streams_documents", False):
                    given: Any = (documents if isinstance(documents, DocumentStream)
                                  else DocumentStream.of(documents))
                else:
                    in_memory = given = in_memory or as_bytes(documents)
                results[entry.name] = evaluator.evaluate(given)
            _check_finite(entry.name, results[entry.name])
        return results


def _check_finite(evaluator: str, value: Any, where: str = "") -> None:
    """A NaN or infinity in results means the model broke, not a figure to report."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RunError(f"evaluator '{evaluator}' gave a non-finite value at "
                       f"{where.lstrip('.') or 'its result'} ({value})",
                       hint="the model computes NaN or infinity on this input (weights "
                            "that overflow?); use another checkpoint")
    items = value.items() if isinstance(value, Mapping) else (
        enumerate(value) if isinstance(value, (list, tuple)) else ())
    for key, item in items:
        _check_finite(evaluator, item, f"{where}.{key}")


@attrs.frozen
class Prepared:
    """A checkpoint read and checked, and its config resolved: everything that can be
    wrong with it is known, and nothing has touched a device yet (no backend banner)."""

    given: Path  # the path as the user named it (a checkpoint or a run directory)
    checkpoint: Checkpoint
    config: NeatConfig
    withheld: Mapping[str, Any] = attrs.field(factory=dict)  # see withheld_data

    def check_eval_split(self) -> None:
        """Refuse to read the evaluation split from data that only a foreign checkpoint
        names (a CheckpointError offering it as a hint)."""
        if self.withheld:
            raise foreign_data_error(self.checkpoint.path, self.withheld,
                                     "evaluate data you name with --data SPEC")

    def start(self, backend: Any = None) -> Session:
        """The model on the backend the config selects, or on ``backend`` (one already
        prepared: a comparison scores every checkpoint on the same device and precision)."""
        if self.checkpoint.path != self.given:
            log.info("using checkpoint %s", self.checkpoint.path)
        backend = select_backend(self.config.backend) if backend is None else backend
        model = self.checkpoint.build_model(backend.device, self.config.model)
        return Session(self.checkpoint.path, model, self.config, backend,
                       self.checkpoint.meta)


def prepare_checkpoint(path: str | Path, overrides: Overrides = ()) -> Prepared:
    """Read a checkpoint (``path``: a checkpoint or run directory) and resolve its config
    with ``overrides``, so commands can check everything else before the model is loaded
    onto a device (see :func:`open_checkpoint`)."""
    given = Path(path).expanduser()
    checkpoint = load_checkpoint(locate_checkpoint(given), training_state=False)
    resolved = resolve_over_checkpoint(overrides, checkpoint)
    refuse_inactive(resolved.config, resolved.sources)
    return Prepared(given, checkpoint, resolved.config, withheld_data(checkpoint, resolved))


def open_checkpoint(path: str | Path, overrides: Overrides = (), *,
                    backend: Any = None) -> Session:
    """Load a checkpoint's model (``path``: a checkpoint or run directory) onto the
    backend its config selects, or onto ``backend`` (one already prepared: a comparison
    scores every checkpoint on the same device and precision).

    The checkpoint's config is the base; ``overrides`` go on top (a command's
    ResolvedConfig contributes its explicit values: file, flags, ``--set``).
    ``model.*`` values must fit the saved weights; a typed value that has no effect
    with the other settings is refused (see :func:`neat_core.config.refuse_inactive`).
    A checkpoint this user's NEAT did not write chooses no path (see
    :func:`neat_core.checkpoint.checkpoint_base`).
    """
    return prepare_checkpoint(path, overrides).start(backend)


def load_model(path: str | Path, device: Any = "cpu") -> Any:
    """The model saved at ``path`` (a checkpoint, or a run directory: its best, else
    newest checkpoint), rebuilt from its own config, on ``device``, in eval mode."""
    return load_checkpoint(resolve_checkpoint(path), training_state=False).build_model(device)


def locate_checkpoint(path: str | Path) -> Path:
    """``path`` itself (``~`` expanded), or for a run directory its best (else newest)
    checkpoint, without a word in the log; a folder that is neither is named as such."""
    run = RunDirectory(path)
    if not run.checkpoints_dir.is_dir():
        if run.path.is_dir() and not any((run.path / name).exists()
                                         for name in CHECKPOINT_FILES):
            raise CheckpointError(f"{path} is neither a checkpoint nor a run directory",
                                  hint="pass a run directory (e.g. runs/quickstart) or one "
                                       "of its checkpoints (runs/quickstart/checkpoints/"
                                       "step-N)")
        return run.path
    found = run.best() or run.latest()
    if found is None:
        raise CheckpointError(f"run {path} has no checkpoints yet",
                              hint="train first, or pass a checkpoint directory")
    return found


def resolve_checkpoint(path: str | Path) -> Path:
    """:func:`locate_checkpoint`, saying in the log which checkpoint of a run directory is
    used: the one resolver of every command that takes a checkpoint."""
    found = locate_checkpoint(path)
    if found != RunDirectory(path).path:
        log.info("using checkpoint %s", found)
    return found


# --- results ------------------------------------------------------------------------------

def _header(kind: str, session: Session, origin: Mapping[str, Any],
            view: str) -> dict[str, Any]:
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "kind": kind,
        "view": view,
        "neat_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "checkpoint": {"path": str(session.path), "model": session.config.model.name,
                       "step": session.meta.get("step"),
                       "parameters": sum(p.numel() for p in session.model.parameters()),
                       "metrics": session.meta.get("metrics") or {}},
        "flops_per_byte": model_flops(session.model),
        "backend": session.backend.describe(),
        "config": to_dict(session.config),
        "data": dict(origin),
    }


def evaluation_results(session: Session, documents: DocumentStream | Documents,
                       origin: Mapping[str, Any]) -> dict[str, Any]:
    """``kind: eval`` results of ``eval.evaluators`` for an open session."""
    return {**_header("eval", session, origin, "full"),
            "results": session.run(session.config.eval.evaluators, documents)}


def analysis_results(session: Session, documents: DocumentStream | Documents,
                     origin: Mapping[str, Any],
                     view: str = "full") -> dict[str, Any]:
    """``kind: analysis`` results of ``eval.analyzers``; ``view="brief"`` asks reports
    for the short form (interactive analysis)."""
    return {**_header("analysis", session, origin, view),
            "results": session.run(session.config.eval.analyzers, documents)}

"""Evaluation and analysis of checkpoints: the Python API behind ``neat eval``,
``neat compare`` and ``neat analyze``.

    import neat_core
    results = neat_core.evaluate("runs/quickstart/checkpoints/best", data=["notes/"])
    results["results"]["bits-per-byte"]["overall"]["bits_per_byte"]

``checkpoint`` is a checkpoint directory or a run directory (its best, else newest
checkpoint), as on the command line. A checkpoint's own config is the base;
``overrides`` (:data:`neat_core.config.Overrides`: a ``{"eval.batch_size": 8}`` mapping,
:class:`~neat_core.config.Override` objects, or a command's ResolvedConfig) go on top.
Without ``data`` (or ``text``) the checkpoint config's
evaluation split is used: ``data.eval`` when set, else the share of the training
documents held out by ``data.eval_fraction`` -- the bytes training evaluated on.

Evaluators are plugins (``register_evaluators``), chosen by ``eval.evaluators`` for
``evaluate`` and ``eval.analyzers`` for ``analyze``. Results are JSON-ready dicts with
the stable keys documented in docs/evaluation.md; report plugins render them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .._version import __version__
from ..config import Overrides
from ..errors import UsageError
from ..inputs import document_stream, load_documents
from ..session import (
    RESULTS_SCHEMA_VERSION,
    analysis_results,
    evaluation_results,
    prepare_checkpoint,
)


def evaluate(checkpoint: str | Path, *, data: Sequence[str] | None = None,
             overrides: Overrides = ()) -> dict[str, Any]:
    """Loss, perplexity, bits per byte (and whatever ``eval.evaluators`` names)."""
    prepared = prepare_checkpoint(checkpoint, overrides)
    if not data:
        prepared.check_eval_split()
    documents, origin = document_stream(prepared.config, data)  # bad data: before the banner
    return evaluation_results(prepared.start(), documents, origin)


def analyze(checkpoint: str | Path, *, data: Sequence[str] | None = None,
            text: str | None = None, overrides: Overrides = ()) -> dict[str, Any]:
    """Entropy and patch statistics (``eval.analyzers``) of files, a string or the
    checkpoint's evaluation split."""
    prepared = prepare_checkpoint(checkpoint, overrides)
    if not data and text is None:
        prepared.check_eval_split()
    documents, origin = load_documents(prepared.config, data, text)
    return analysis_results(prepared.start(), documents, origin)


def compare(checkpoints: Sequence[str | Path], *, data: Sequence[str] | None = None,
            overrides: Overrides = ()) -> dict[str, Any]:
    """``evaluate`` of several checkpoints on the same bytes (without ``data``: the
    first checkpoint's evaluation split), side by side under ``runs``."""
    if not checkpoints:
        raise UsageError("compare needs at least one checkpoint")
    prepared = [prepare_checkpoint(checkpoint, overrides) for checkpoint in checkpoints]
    if not data:
        prepared[0].check_eval_split()
    shared = document_stream(prepared[0].config, data)
    runs = [evaluation_results(each.start(), *shared) for each in prepared]
    return {"schema_version": RESULTS_SCHEMA_VERSION, "kind": "comparison", "view": "full",
            "neat_version": __version__, "created": runs[0]["created"],
            "data": runs[0]["data"], "runs": runs}

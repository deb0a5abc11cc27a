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

import datetime
import itertools
import logging
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from . import __version__
from .api import SourceDocument
from .config import NeatConfig, Overrides, load_config, refuse_inactive, to_dict
from .errors import CheckpointError, DataError, RunError, UsageError
from .files import check_writable_dir
from .flops import model_flops
from .plugins import blamed
from .registry import Entry, get_registry

log = logging.getLogger("neat.evaluate")

RESULTS_SCHEMA_VERSION = 1
TEXT_DOCUMENT = "<text>"

Documents = list[tuple[str, bytes]]


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


def open_checkpoint(path: str | Path, overrides: Overrides = ()) -> Session:
    """Load a checkpoint's model (``path``: a checkpoint or run directory) onto the
    backend its config selects.

    The checkpoint's config is the base; ``overrides`` go on top (a command's
    ResolvedConfig contributes its explicit values: file, flags, ``--set``).
    ``model.*`` values must fit the saved weights; a typed value that has no effect
    with the other settings is refused (see :func:`neat_core.config.refuse_inactive`).
    """
    from .backends import select_backend
    from .checkpoint import load_checkpoint

    checkpoint = load_checkpoint(resolve_checkpoint(path))
    resolved = load_config(base=to_dict(checkpoint.config), overrides=overrides)
    refuse_inactive(resolved.config, resolved.sources)
    config = resolved.config
    backend = select_backend(config.backend)
    model = checkpoint.build_model(backend.device, config.model)
    return Session(checkpoint.path, model, config, backend, checkpoint.meta)


def resolve_checkpoint(path: str | Path) -> Path:
    """``path`` itself (``~`` expanded), or for a run directory its best (else newest)
    checkpoint: the one resolver of every command that takes a checkpoint."""
    from .training import RunDirectory

    run = RunDirectory(path)
    if not run.checkpoints_dir.is_dir():
        return run.path
    found = run.best() or run.latest()
    if found is None:
        raise CheckpointError(f"run {path} has no checkpoints yet",
                              hint="train first, or pass a checkpoint directory")
    log.info("using checkpoint %s", found)
    return found


# --- input bytes ------------------------------------------------------------------------

@attrs.frozen
class DocumentStream:
    """Documents read from their sources anew each time they are iterated, each a
    :class:`~neat_core.api.SourceDocument` whose chunks stream (read them in order,
    before asking for the next document): an evaluator that streams them holds a chunk
    at a time, whatever the size of the input. Empty documents are left out and each
    is cut to ``max_bytes``."""

    open: Callable[[], Iterable[SourceDocument]]
    max_bytes: int | None = None

    @classmethod
    def of(cls, documents: Documents) -> DocumentStream:
        """Documents already in memory, as a stream."""
        return cls(lambda: (SourceDocument(name, [data], len(data))
                            for name, data in documents))

    def __iter__(self) -> Iterator[SourceDocument]:
        for document in self.open():
            chunks = iter(_cut(document.chunks, self.max_bytes))
            first = next(chunks, b"")
            if first:
                size = document.size if self.max_bytes is None or document.size is None \
                    else min(document.size, self.max_bytes)
                yield SourceDocument(document.name, itertools.chain([first], chunks), size)
            else:
                for _ in chunks:  # an empty document: read to its end, as promised
                    pass


def _cut(chunks: Iterable[bytes], limit: int | None) -> Iterator[bytes]:
    if limit is None:
        yield from (chunk for chunk in chunks if chunk)
        return
    for chunk in chunks:
        if limit <= 0:
            continue  # the source's reader still gets to finish the document
        if chunk:
            yield chunk[:limit]
            limit -= len(chunk)


def document_stream(config: NeatConfig, data: Sequence[str] | None = None,
                    text: str | None = None) -> tuple[DocumentStream, dict[str, Any]]:
    """The documents to evaluate as a stream, and a description of where they came from
    (counted in one pass over them, which reads but keeps nothing)."""
    origin: dict[str, Any]
    if text is not None:
        encoded = text.encode("utf-8")
        opener: Callable[[], Iterable[SourceDocument]] = lambda: [
            SourceDocument(TEXT_DOCUMENT, [encoded], len(encoded))]
        origin = {"origin": "text", "sources": []}
    elif data:
        from .data import iter_documents

        sources = list(data)
        opener = lambda: iter_documents(config, sources)
        origin = {"origin": "files", "sources": sources}
    else:
        opener = _eval_split(config)
        origin = {"origin": "eval-split",
                  "sources": list(config.data.eval or config.data.train)}
    stream = DocumentStream(opener, config.eval.max_bytes)
    documents = total = 0
    for document in stream:
        documents += 1
        total += sum(len(chunk) for chunk in document.chunks)
    if total - documents <= 0:
        where = ", ".join(origin["sources"]) or "the text given"
        raise DataError(f"no data to evaluate: {where} gave "
                        f"{'no bytes' if not documents else 'a single byte'}",
                        hint="pass files or directories with --data, or a string with --text")
    origin.update(documents=documents, bytes=total)
    return stream, origin


def load_documents(config: NeatConfig, data: Sequence[str] | None = None,
                   text: str | None = None) -> tuple[Documents, dict[str, Any]]:
    """The documents to evaluate, read into memory as ``(name, bytes)`` pairs, and a
    description of where they came from."""
    stream, origin = document_stream(config, data, text)
    return as_bytes(stream), origin


def as_bytes(documents: DocumentStream | Documents) -> Documents:
    """``(name, bytes)`` pairs, reading a stream into memory."""
    if not isinstance(documents, DocumentStream):
        return documents
    return [(document.name, b"".join(document.chunks)) for document in documents]


def _eval_split(config: NeatConfig) -> Callable[[], Iterable[SourceDocument]]:
    from .data import build_corpora

    # block_size=1: evaluation scores documents of any length, unlike training windows
    corpus = build_corpora(config, block_size=1, progress=config.run.progress).eval
    return lambda: (SourceDocument(doc.name, corpus.read(doc), doc.end - doc.start)
                    for doc in corpus.documents)


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


def evaluate(checkpoint: str | Path, *, data: Sequence[str] | None = None,
             overrides: Overrides = ()) -> dict[str, Any]:
    """Loss, perplexity, bits per byte (and whatever ``eval.evaluators`` names)."""
    session = open_checkpoint(checkpoint, overrides)
    documents, origin = document_stream(session.config, data)
    return evaluation_results(session, documents, origin)


def analyze(checkpoint: str | Path, *, data: Sequence[str] | None = None,
            text: str | None = None, overrides: Overrides = ()) -> dict[str, Any]:
    """Entropy and patch statistics (``eval.analyzers``) of files, a string or the
    checkpoint's evaluation split."""
    session = open_checkpoint(checkpoint, overrides)
    documents, origin = load_documents(session.config, data, text)
    return analysis_results(session, documents, origin)


def compare(checkpoints: Sequence[str | Path], *, data: Sequence[str] | None = None,
            overrides: Overrides = ()) -> dict[str, Any]:
    """``evaluate`` of several checkpoints on the same bytes (without ``data``: the
    first checkpoint's evaluation split), side by side under ``runs``."""
    if not checkpoints:
        raise UsageError("compare needs at least one checkpoint")
    runs: list[dict[str, Any]] = []
    shared: tuple[DocumentStream, dict[str, Any]] | None = None
    for checkpoint in checkpoints:
        session = open_checkpoint(checkpoint, overrides)
        if shared is None:
            shared = document_stream(session.config, data)
        runs.append(evaluation_results(session, *shared))
    return {"schema_version": RESULTS_SCHEMA_VERSION, "kind": "comparison", "view": "full",
            "neat_version": __version__, "created": runs[0]["created"],
            "data": runs[0]["data"], "runs": runs}


# --- reports ------------------------------------------------------------------------------

def report_writers(names: Sequence[str], config: NeatConfig | None = None,
                   out_dir: str | Path | None = None) -> list[tuple[Entry, Any]]:
    """(entry, writer) for ``names`` with ``config``'s report settings (default: the
    defaults); a UsageError listing the registered ones if one is unknown, and a
    WriteError if ``out_dir`` is given, a writer writes files (any without
    ``writes_files = False``) and the directory is not writable -- checked before any
    slow work starts, whose results would otherwise be lost."""
    from .config import default_config

    config = config or default_config()
    writers = []
    for name in names:
        entry = get_registry().get("reports", name)
        with blamed(f"report '{name}'", entry.plugin):
            writers.append((entry, entry.factory(config)))
    if out_dir is not None and any(getattr(w, "writes_files", True) for _, w in writers):
        check_writable_dir(out_dir, "--out directory")
    return writers


def write_reports(results: Mapping[str, Any], names: Sequence[str],
                  out_dir: str | Path | None = None,
                  config: NeatConfig | None = None) -> list[Path]:
    """Render ``results`` with each named report; the files written."""
    out = Path(out_dir) if out_dir is not None else Path(".")
    written = []
    for entry, writer in report_writers(names, config):
        with blamed(f"report '{entry.name}'", entry.plugin):
            path = writer.write(results, out)
        if path is not None:
            written.append(Path(path))
    return written

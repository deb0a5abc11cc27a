"""The contracts between the core and its plugins, as types, and the checks at the edge.

Plugin authors import these from :mod:`neat_core.api`, the public surface; the device
backend's contract is :class:`neat_core.backends.Backend`, a base class with behaviour.

Each registration hook (:mod:`neat_core.hookspecs`) registers factories of one of these
types. The core checks them where a plugin's object first meets the core -- a model's
first forward when it is built, a trainer's result when it returns, a settings class
when it is registered -- and a plugin that breaks a rule gets a :class:`PluginError`
(exit 2) naming the plugin and the rule, never an "unexpected" crash later on.

No torch at import time: tensors are named in annotations only.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Protocol,
    Sequence,
    TypedDict,
)

import attrs

from .errors import PluginError
from .settings.schema import ModelConfig

if TYPE_CHECKING:
    import numpy as np
    import torch

VOCAB_SIZE = 256  # one token per byte value
MAX_BITS = 8.0  # entropy of the uniform distribution over the 256 byte values
Documents = Sequence[tuple[str, bytes]]


class Model(Protocol):
    """What a model factory returns: a ``torch.nn.Module`` whose ``forward(idx)`` maps
    byte values ``[batch, time]`` to next-byte logits ``[batch, time, 256]``.

    - ``config``: the model's settings, a :class:`ModelConfig` (``config.block_size`` is
      the longest input it reads at once).
    - ``forward(idx)``: ``LongTensor[batch, time]`` of byte values (``time <=
      block_size``) -> next-byte logits ``[batch, time, 256]``, floating point, where
      position ``t`` predicts byte ``t + 1`` from bytes ``<= t``.
    - optionally ``forward(idx, targets)`` -> ``(logits, loss)``: a model whose forward
      takes ``targets`` computes its own training loss (a scalar tensor), which the
      standard trainer then uses instead of next-byte cross-entropy.
    - optionally ``new_cache(batch_size)`` and ``forward_cached(idx, cache)``: incremental
      scoring and generation (see :mod:`neat_core.scoring` and :mod:`neat_core.sampling`).
    - optionally ``flops_per_byte() -> dict``: an analytic cost for reports.
    - optionally ``entropies(idx) -> [batch, time]``: next-token entropies in bits where
      they are not those of the logits (e.g. over a vocabulary with more than the byte
      values); windowed scoring uses them, and ``entropies_cached(idx, cache)`` likewise
      scoring through the cache (see :func:`neat_core.scoring.compute_entropies`).
    - optionally ``patching() -> ModelPatching``: the patches the model cuts itself
      (a model over patches of bytes), which patch tools show instead of patches of a
      threshold over its output entropies.
    - optionally ``calibrate(windows) -> ModelConfig``: settings fitted to the training
      data, called by the trainer once before the first step of a new run with windows
      ``LongTensor[batch, block_size]`` of the training split; the trainer records the
      config it returns (e.g. a threshold calibrated to a target patch size).
    """

    config: ModelConfig

    def __call__(self, idx: torch.Tensor, *args: Any) -> Any: ...


class ModelPatching(Protocol):
    """What a model's optional ``patching()`` returns: the patches it cuts.

    - ``settings``: what to show of the rule (JSON-ready: mode, thresholds, sizes).
    - ``starts(data) -> (starts, entropies)``: for bytes read as one stream, a bool
      array, True where a patch starts (always at byte 0), and the per-byte entropies in
      bits that placed the boundaries, or None where none did (fixed rules).
    - ``context`` and ``align``: a tool that patches a long input in pieces starts each
      piece at a multiple of ``align`` at least ``context`` bytes before the bytes it
      keeps, which then get the patches of the whole input.
    """

    settings: Mapping[str, Any]
    context: int
    align: int

    def starts(self, data: bytes | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...


class TrainResultRequired(TypedDict):
    step: int  # the optimizer step training ended at
    elapsed_s: float  # seconds of training over all sessions of the run
    session_s: float  # seconds of training in this session (since start or resume)
    bytes_per_second: float  # training bytes per second in this session
    output_dir: str
    checkpoint: str | None  # the last checkpoint written


class TrainResult(TrainResultRequired, total=False):
    """What ``Trainer.run`` returns; ``neat train`` reads these keys and no others."""

    loss: float  # training loss (nats per byte) of the last log window
    bpb: float
    perplexity: float
    eval_loss: float  # nats per byte on the evaluation split, at the end
    eval_bpb: float
    eval_perplexity: float
    best_checkpoint: str | None
    best_eval_loss: float | None
    best_step: int | None
    parameters: int
    peak_memory_bytes: int | None
    world_size: int
    interrupted: str | None  # the signal that stopped the run, if one did


class Trainer(Protocol):
    """What a trainer factory ``factory(config, backend)`` returns."""

    def run(self, resume: str | Path | None = None) -> TrainResult: ...


class Evaluator(Protocol):
    """What an evaluator factory ``factory(model, config, backend)`` returns."""

    def evaluate(self, documents: Documents) -> dict[str, Any]: ...


class Report(Protocol):
    """What a report factory ``factory(config)`` returns."""

    def write(self, results: Mapping[str, Any], out_dir: Path) -> Path | None: ...


class Callback(Protocol):
    """What a training-callback factory ``factory(config, run_dir)`` returns: any of
    these methods, called on rank 0 (see ``register_training_callbacks``)."""

    def on_train_start(self, info: dict[str, Any]) -> None: ...

    def on_log(self, record: dict[str, Any]) -> None: ...

    def on_eval(self, record: dict[str, Any]) -> None: ...

    def on_checkpoint(self, path: Path, record: dict[str, Any]) -> None: ...

    def on_train_end(self, metrics: dict[str, Any]) -> None: ...


@attrs.frozen
class SourceDocument:
    """One document a data source reads: its name and its bytes in chunks.

    ``chunks`` is read once, in order, before the next document is asked for, so a
    document of any length streams through in pieces. ``size`` is its length when known
    before reading (a raw file's), else None; then the core may stop reading the chunks
    after the first ones (``neat data inspect`` reads only a head).
    """

    name: str
    chunks: Iterable[bytes] = attrs.field(repr=False)
    size: int | None = None


class Tally:
    """What a unit's reader reports while it reads: progress and bad records.

    ``advance(n)`` after consuming ``n`` stored bytes (compressed bytes of a compressed
    file) drives the progress figures and the ETA; ``bad(where, why)`` counts a record
    that was skipped (a line that is not JSON...), keeping the first few for the report.
    """

    EXAMPLES = 5

    def __init__(self, on_advance: Callable[[int], None] | None = None) -> None:
        self.stored = 0
        self.bad_records = 0
        self.examples: list[str] = []
        self._on_advance = on_advance

    def advance(self, stored_bytes: int) -> None:
        self.stored += stored_bytes
        if self._on_advance is not None:
            self._on_advance(stored_bytes)

    def bad(self, where: str, why: str) -> None:
        self.bad_records += 1
        if len(self.examples) < self.EXAMPLES:
            self.examples.append(f"{where}: {why}")


@attrs.frozen
class DataUnit:
    """A part of a source that is read in one go: a file, a dataset directory, a
    generator.

    - ``name``: what messages and ``neat data inspect --files`` show (a path).
    - ``kind``: what it holds, e.g. ``raw``, ``gzip``, ``jsonl+zstd``, ``parquet``.
    - ``identity``: JSON-ready; it must change whenever the documents may change (a
      file's path, size and modification time; a generator's seed). The cache key is
      made of it, the source's name and the source's settings.
    - ``stored_bytes``: its size as stored (before decompression); 0 when generated.
    - ``read(tally)``: yields its documents in a fixed order, streaming; raises a
      :class:`~neat_core.errors.DataError` naming the file for data it cannot read
      (a truncated archive) and reports skipped records to ``tally``.
    """

    name: str
    kind: str
    identity: Any
    stored_bytes: int
    read: Callable[[Tally], Iterator[SourceDocument]] = attrs.field(eq=False, repr=False)


class DataSource(Protocol):
    """What a data-source factory ``factory(config)`` returns: one kind of source.

    A spec in ``data.train`` / ``data.eval`` reaches a source in one of two ways:

    - ``NAME:TARGET``, where NAME is the source's registered name (``synthetic:random``,
      ``builtin:python-stdlib``, ``jsonl:notes/*.txt``): ``units(TARGET, seed)``;
    - any other spec is a path, directory or glob: the core lists it (directories
      recursively in sorted order, hidden names and ``__pycache__`` skipped) and offers
      every directory and file found to the sources' ``accepts(path)``; the one that
      accepts it reads it with ``units(str(path), seed)`` (a directory it accepts is not
      walked). A file no source accepts goes to the source registered with
      ``default=True``. Two sources accepting one path is an error naming both.

    ``seed`` identifies the source's place in the config (``run.seed``, the split, its
    position): sources that generate data seed from it (``neat_core.data.rng_for(*seed,
    ...)``) so that train and eval sources differ; others ignore it. ``units`` raises a
    :class:`~neat_core.errors.DataError` for a target with nothing to read.
    """

    def accepts(self, path: Path) -> bool: ...

    def units(self, target: str, seed: tuple[int | str, ...]) -> Sequence[DataUnit]: ...


class EntropyScorer(Protocol):
    """Per-byte scores of one model (:class:`neat_core.scoring.Scorer` implements it):
    what evaluators and commands use instead of importing a model plugin."""

    settings: Mapping[str, int]  # block_size, stride, batch_size

    def entropies(self, data: bytes) -> np.ndarray: ...

    def nll(self, data: bytes) -> np.ndarray: ...


# --- checks at the edge ---------------------------------------------------------------

def takes_targets(model: Any) -> bool:
    """Whether ``model.forward`` accepts ``targets`` (then it computes its own loss)."""
    try:
        return "targets" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def check_model(model: Any, config: ModelConfig, plugin: str) -> None:
    """One tiny forward: the output must be logits ``[1, T, 256]`` in floating point."""
    import torch

    name = config.name

    def broken(rule: str) -> PluginError:
        return PluginError(f"model '{name}' of plugin '{plugin}' breaks the model contract: "
                           f"{rule}", hint=f"fix the plugin, or block it with "
                                           f"NEAT_PLUGINS_BLOCK={plugin}")

    if not isinstance(model, torch.nn.Module):
        raise broken(f"its factory must return a torch.nn.Module, got {type(model).__name__}")
    block_size = getattr(getattr(model, "config", None), "block_size", None)
    if block_size != config.block_size:
        raise broken(f"model.config.block_size must be the configured context length "
                     f"{config.block_size}, got {block_size!r}")
    length = min(8, config.block_size)
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    idx = torch.arange(length, device=device).remainder(VOCAB_SIZE).unsqueeze(0)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(idx)
            if takes_targets(model):
                output = model(idx, idx)
                if not (isinstance(output, tuple) and len(output) == 2
                        and isinstance(output[1], torch.Tensor) and output[1].dim() == 0):
                    raise broken("forward(idx, targets) must return (logits, scalar loss)")
    finally:
        model.train(was_training)
    if not isinstance(logits, torch.Tensor):
        raise broken(f"forward(idx) must return a tensor of logits, got "
                     f"{type(logits).__name__}")
    if tuple(logits.shape) != (1, length, VOCAB_SIZE):
        raise broken(f"forward(idx) of shape [1, {length}] must return logits of shape "
                     f"[1, {length}, {VOCAB_SIZE}] (batch, time, byte values), got "
                     f"{list(logits.shape)}")
    if not logits.is_floating_point():
        raise broken(f"logits must be floating point, got {logits.dtype}")


def check_train_result(result: Any, trainer: str, plugin: str) -> TrainResult:
    """The trainer's result, after checking it has the keys ``neat train`` reads."""
    problems = []
    if not isinstance(result, Mapping):
        problems.append(f"run() must return a dict, got {type(result).__name__}")
    else:
        for key, kind in TrainResultRequired.__annotations__.items():
            if key not in result:
                problems.append(f"missing '{key}'")
            elif kind in ("int", "float") and not isinstance(result[key], (int, float)):
                problems.append(f"'{key}' must be a number, got {result[key]!r}")
    if problems:
        raise PluginError(f"trainer '{trainer}' of plugin '{plugin}' broke the trainer "
                          f"contract: {'; '.join(problems)}",
                          hint="a trainer's run() returns a neat_core.api.TrainResult")
    return result


__all__ = ["Callback", "DataSource", "DataUnit", "Documents", "EntropyScorer",
           "Evaluator", "MAX_BITS", "Model", "ModelPatching", "Report", "SourceDocument",
           "Tally", "TrainResult", "Trainer", "VOCAB_SIZE", "check_model",
           "check_train_result", "takes_targets"]

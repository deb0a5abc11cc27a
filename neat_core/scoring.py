"""Per-byte next-byte entropy (bits) and negative log-likelihood (nats) under any model.

The scoring every evaluator, report and command uses, for any registered model (the
model contract: ``forward(idx) -> logits [B, T, 256]`` and ``model.config.block_size``).
Imports torch: import this module only where scoring happens.

Inputs longer than the model's context are scored with a sliding window: windows of
``block_size`` bytes advance by ``stride`` (default ``block_size // 2``). The first
window scores all its positions; each later window scores only the positions the
previous one did not reach, so every byte after the first window is scored with at
least ``block_size - stride`` bytes of context (a full context with ``stride=1``), and
never with a context that was reset at a chunk edge. The last window is aligned to the
end of the input, so all windows have the same width and batch without padding.

A model may also keep a key/value cache, through two optional methods of the contract:

- ``new_cache(batch_size) -> object``: an empty cache for that many rows, or None where
  this model cannot keep one (the window is used then);
- ``forward_cached(idx [B, t], cache) -> logits [B, t, 256]``: predicts ``t`` new
  bytes of each row after those the cache holds, then appends them; every layer
  attends to at most the ``block_size`` positions that end at each byte, and the cache
  keeps at most ``block_size - 1``. A cache may say, as ``cache.reach``, how many
  earlier bytes its results depend on (default ``block_size - 1``), and, as
  ``cache.align``, that a stream may only start at multiples of it (default 1).

Where a model has them, inputs are scored through the cache instead of the window: the
input is cut into rows that advance side by side (each after reading the ``reach``
bytes before its first scored byte, see :func:`plan_lanes`), every
byte is computed once and, in every layer, attends to the ``block_size`` positions that
end at it, whatever the stride: the input is read as one stream from its first byte
(sliding-window attention, as in BLT's entropy model). That is the one context rule of
a cached model: the rows' split, the batch size and chunking (:func:`score_stream`) do
not change it. It is not the window with ``stride=1``: a window restarts every layer's
context at its first byte, where a cached position's keys carry their own context,
and a model's hash n-grams (or anything else that reads earlier bytes) see the bytes
before a window's start through the cache, never in the window. Only a one-layer model
that reads nothing but its window's bytes gives the same results both ways.
``cache=False`` keeps the window (a different rule, for comparisons).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import sys
import time
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .errors import UsageError


def as_byte_array(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """A read-only uint8 view of ``data`` (bytes-like, or an array of byte values)."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 or data.ndim != 1:
            raise UsageError(f"expected a 1-D uint8 array of bytes, got {data.dtype} "
                             f"with shape {data.shape}")
        return data
    return np.frombuffer(data, dtype=np.uint8)


def check_stride(stride: int, block_size: int) -> None:
    if not 1 <= stride <= block_size:
        raise UsageError(f"stride {stride} must be between 1 and the model's block_size "
                         f"({block_size})", hint="leave it unset for block_size // 2")


def plan_windows(length: int, block_size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Start of each window and the first position (absolute) that window scores.

    Every window is ``min(block_size, length)`` bytes wide; window ``i`` scores the
    positions ``[first[i], starts[i] + width)``. Together they cover ``0..length-1``
    once each.
    """
    check_stride(stride, block_size)
    if length <= block_size:
        return np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    last = length - block_size
    starts = np.append(np.arange(0, last, stride, dtype=np.int64), last)
    first = np.concatenate(([0], starts[:-1] + block_size))
    return starts, first


def context_length(model: torch.nn.Module) -> int:
    """The model's context in bytes (``model.config.block_size``, the model contract)."""
    config: Any = model.config
    return int(config.block_size)


def keeps_cache(model: Any) -> bool:
    """Whether ``model`` has the optional key/value cache (see the module docstring):
    both methods, and a ``new_cache`` that does not return None for this model."""
    new_cache = getattr(model, "new_cache", None)
    return (callable(new_cache) and callable(getattr(model, "forward_cached", None))
            and new_cache(1) is not None)


def entropy_bits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of softmax(logits) over the last dim, in bits (float32).

    ``H = ln Z - sum(e * z) / Z`` with ``z = logits - max``, ``e = exp(z)``, ``Z = sum(e)``:
    one exponential per value.
    """
    z = logits.float()
    z = z - z.amax(dim=-1, keepdim=True)
    e = z.exp()
    total = e.sum(-1)
    return (total.log() - (e * z).sum(-1) / total) / math.log(2)


def _score(model: torch.nn.Module, inputs: np.ndarray,
           per_position: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor], *,
           batch_size: int, stride: int | None, device: str | torch.device | None,
           progress: bool, cache: bool, observe: Callable[[float], None] | None,
           targets: np.ndarray | None = None,
           windowed: Callable[[torch.Tensor], torch.Tensor] | None = None,
           cached: Callable[[torch.Tensor, Any], torch.Tensor] | None = None) -> np.ndarray:
    """``per_position(logits, targets)`` for every input position: through the model's
    cache where it has one and ``cache`` allows, else with a sliding window (where
    ``windowed(idx)`` and ``cached(idx, cache)``, when given, give the values instead)."""
    block_size = context_length(model)
    stride = max(1, block_size // 2) if stride is None else stride
    if batch_size < 1:
        raise UsageError(f"batch_size must be at least 1, got {batch_size}")
    check_stride(stride, block_size)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    if cache and len(inputs) > block_size and keeps_cache(model):
        return _incremental(model, inputs, per_position, batch_size=batch_size,
                            device=device, progress=progress, observe=observe,
                            targets=targets, cached=cached)
    return _sliding(model, inputs, per_position, batch_size=batch_size, stride=stride,
                    device=device, progress=progress, observe=observe, targets=targets,
                    forward=windowed)


def _sliding(model: torch.nn.Module, inputs: np.ndarray,
             per_position: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor], *,
             batch_size: int, stride: int, device: torch.device, progress: bool,
             observe: Callable[[float], None] | None,
             targets: np.ndarray | None = None,
             forward: Callable[[torch.Tensor], torch.Tensor] | None = None) -> np.ndarray:
    """``per_position(logits, target_windows)`` for every input position, windowed."""
    block_size = context_length(model)
    out = np.empty(len(inputs), dtype=np.float32)
    if len(inputs) == 0:
        return out
    starts, first = plan_windows(len(inputs), block_size, stride)
    width = min(block_size, len(inputs))
    windows = np.lib.stride_tricks.sliding_window_view(inputs, width)
    target_windows = (np.lib.stride_tricks.sliding_window_view(targets, width)
                      if targets is not None else None)
    with _scoring(model, len(inputs), progress, observe) as tracker:
        for lo in range(0, len(starts), batch_size):
            batch = starts[lo:lo + batch_size]
            idx = torch.from_numpy(windows[batch].astype(np.int64)).to(device)
            tgt = (torch.from_numpy(target_windows[batch].astype(np.int64)).to(device)
                   if target_windows is not None else None)
            values = (forward(idx) if forward is not None
                      else per_position(model(idx), tgt)).cpu().numpy()
            for row, (start, begin) in enumerate(zip(batch, first[lo:lo + batch_size])):
                out[begin:start + width] = values[row, begin - start:]
            tracker.done(int(batch[-1]) + width - int(first[lo]))
    return out


def plan_lanes(length: int, lanes: int, keep: int, align: int = 1) -> tuple[int, np.ndarray]:
    """Split ``length`` positions between at most ``lanes`` rows that a cache advances
    side by side: (bytes each row reads, start of each row).

    Row ``r`` reads ``[starts[r], starts[r] + width)``; row 0 scores all it reads, every
    later row first reads ``keep`` bytes of context it does not score. Every row starts
    at a multiple of ``align`` (a model whose results depend on where its stream
    started, such as a BLT's patch blocks, asks for one through its cache). Rows are
    dropped until that context is at most an eighth of the input, so short inputs do
    not pay for it. The last row may end past ``length`` (the caller pads).
    """
    lanes = max(1, min(lanes, 1 + length // (8 * max(keep, 1))))
    stride = -(-max(length - keep, 1) // lanes)  # ceiling division
    stride = -(-stride // align) * align
    lanes = max(1, -(-(length - keep) // stride))
    return stride + keep, np.arange(lanes, dtype=np.int64) * stride


def _incremental(model: torch.nn.Module, inputs: np.ndarray,
                 per_position: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor], *,
                 batch_size: int, device: torch.device, progress: bool,
                 observe: Callable[[float], None] | None,
                 targets: np.ndarray | None = None,
                 cached: Callable[[torch.Tensor, Any], torch.Tensor] | None = None
                 ) -> np.ndarray:
    """``per_position`` for every input position through the model's key/value cache
    (see the module docstring)."""
    block_size = context_length(model)
    # batch_size rows of half a window each per forward: each new byte attends over
    # block_size - 1 + chunk keys (masked to block_size); measured on 2 cores, smaller
    # chunks or more rows per forward were slower (more calls, or caches overflowing)
    stream: Any = model  # the optional methods of the contract (neat_core.api.Model)
    # how far back a cached result depends on earlier bytes (deeper layers reach
    # further): each row reads that many before its first scored byte, so the rows'
    # split does not change the result
    probe = stream.new_cache(1)
    keep = int(getattr(probe, "reach", block_size - 1))
    chunk = max(1, block_size // 2)
    width, starts = plan_lanes(len(inputs), batch_size, keep, int(getattr(probe, "align", 1)))
    cache = stream.new_cache(len(starts))

    def lanes_of(array: np.ndarray) -> np.ndarray:
        padded = np.zeros(int(starts[-1]) + width, dtype=np.int64)
        padded[:len(array)] = array
        return np.lib.stride_tricks.sliding_window_view(padded, width)[starts]

    rows = lanes_of(inputs)
    target_rows = lanes_of(targets) if targets is not None else None
    first = np.where(np.arange(len(starts)) == 0, 0, keep)[:, None]  # first scored offset
    out = np.empty(len(inputs), dtype=np.float32)
    with _scoring(model, len(inputs), progress, observe) as tracker:
        for lo in range(0, width, chunk):
            idx = torch.from_numpy(rows[:, lo:lo + chunk].copy()).to(device)
            tgt = (torch.from_numpy(target_rows[:, lo:lo + chunk].copy()).to(device)
                   if target_rows is not None else None)
            values = (cached(idx, cache) if cached is not None else
                      per_position(stream.forward_cached(idx, cache), tgt)).cpu().numpy()
            offsets = np.arange(lo, lo + idx.shape[1])[None, :]
            positions = starts[:, None] + offsets
            scored = (offsets >= first) & (positions < len(inputs))
            out[positions[scored]] = values[scored]
            tracker.done(int(scored.sum()))
    return out


class _Tracker:
    """The progress bar of one scoring pass, and the time of each batch for ``observe``."""

    def __init__(self, bar: Any, observe: Callable[[float], None] | None) -> None:
        self.bar, self.observe = bar, observe
        self.last = time.perf_counter()

    def done(self, scored: int) -> None:
        now = time.perf_counter()
        if self.observe is not None:
            self.observe(now - self.last)
        self.last = now
        self.bar.update(scored)


@contextlib.contextmanager
def _scoring(model: torch.nn.Module, total: int, progress: bool,
             observe: Callable[[float], None] | None) -> Iterator[_Tracker]:
    """Eval mode (restored after), inference mode and a tracker of ``total`` bytes."""
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    try:
        # delay: short inputs finish before a bar would appear
        with torch.inference_mode(), tqdm(total=total, unit="B", unit_scale=True,
                                          desc="scoring", disable=not progress,
                                          delay=1.0, leave=False) as bar:
            yield _Tracker(bar, observe)
    finally:
        model.train(was_training)


def compute_entropies(model: torch.nn.Module, data: bytes | np.ndarray, *, batch_size: int = 16,
                      stride: int | None = None, device: str | torch.device | None = None,
                      progress: bool = False, cache: bool = True,
                      observe: Callable[[float], None] | None = None) -> np.ndarray:
    """Per-byte next-byte entropy in bits (0-8), float32, one entry per input byte.

    Entry ``t`` is the entropy of the model's distribution for byte ``t + 1`` given
    bytes ``0..t`` (the last entry predicts the byte after the input). ``model`` is any
    registered model (``forward(idx) -> logits [B, T, 256]``, ``model.config.block_size``);
    ``stride`` defaults to ``block_size // 2``; inputs go to ``device``, by default the
    model's (the model itself is not moved). ``cache=False`` uses the sliding window
    even where the model has a key/value cache. ``observe`` is called with the seconds
    of each forward batch (the :class:`Scorer` passes its backend's ``observe_step``,
    which lets the cpu backend pick its thread count). A model's own ``entropies(idx)``
    (the optional method of the contract: e.g. over a vocabulary larger than the byte
    values) replaces the entropy of its logits in windowed scoring, and its
    ``entropies_cached(idx, cache)`` in scoring through the cache.
    """
    inputs = as_byte_array(data)
    own = getattr(model, "entropies", None)
    own_cached = getattr(model, "entropies_cached", None)
    return _score(model, inputs, lambda logits, _: entropy_bits(logits),
                  batch_size=batch_size, stride=stride, device=device, progress=progress,
                  cache=cache, observe=observe, windowed=own if callable(own) else None,
                  cached=own_cached if callable(own_cached) else None)


def score_bytes(model: torch.nn.Module, data: bytes | np.ndarray, *, batch_size: int = 16,
                stride: int | None = None, device: str | torch.device | None = None,
                progress: bool = False, cache: bool = True,
                observe: Callable[[float], None] | None = None) -> np.ndarray:
    """Negative log-likelihood in nats of bytes ``1..n-1``, float32, ``n - 1`` entries.

    Entry ``i`` is ``-ln p(byte i+1 | bytes 0..i)``, windowed like
    :func:`compute_entropies` (byte 0 has no prediction and is not scored). Mean NLL
    divided by ``ln 2`` is bits per byte.
    """
    array = as_byte_array(data)
    if len(array) < 2:
        return np.empty(0, dtype=np.float32)

    def nll(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor:
        assert targets is not None
        logp = F.log_softmax(logits.float(), dim=-1)
        return -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)

    return _score(model, array[:-1], nll, targets=array[1:], batch_size=batch_size,
                  stride=stride, device=device, progress=progress, cache=cache,
                  observe=observe)


# --- the scorer evaluators and reports use ------------------------------------------------

# The entropy and patch evaluators need the same entropies; computing them once per
# (model, bytes, settings) halves the cost of `neat analyze`. Bounded by bytes held.
_CACHE_LIMIT_BYTES = 256 * 2**20
_cache: OrderedDict[tuple, tuple[Any, np.ndarray]] = OrderedDict()


class Scorer:
    """Entropies and NLL of bytes under one model, with the config's window settings.

    The entropy-scoring interface of :class:`neat_core.api.EntropyScorer`: evaluators
    and commands score through it instead of importing a model plugin. Entropies are
    cached for the last models and inputs, so several evaluators of one run share them.
    """

    def __init__(self, model: torch.nn.Module, config: Any, backend: Any) -> None:
        self.model, self.config, self.backend = model, config, backend
        block_size = context_length(model)
        stride = config.eval.stride or max(1, block_size // 2)
        cached = keeps_cache(model)
        # the fewest bytes of context a byte past the first window is scored with
        self.settings = {"block_size": block_size, "stride": stride,
                         "batch_size": config.eval.batch_size, "cache": cached,
                         "min_context": block_size - 1 if cached else block_size - stride}

    def _kwargs(self) -> dict[str, Any]:
        # a bar of bytes scored, for long inputs (it appears after a second)
        return {"batch_size": self.settings["batch_size"], "stride": self.settings["stride"],
                "device": self.backend.device, "progress": self.shows_progress,
                "observe": self.backend.observe_step}

    @property
    def shows_progress(self) -> bool:
        """Whether progress bars are wanted: ``run.progress`` and stderr a terminal."""
        return bool(self.config.run.progress) and sys.stderr.isatty()

    def entropies(self, data: bytes) -> np.ndarray:
        """Next-byte entropies in bits, one per byte (see :func:`compute_entropies`)."""
        key = (id(self.model), self.settings["stride"], self.settings["batch_size"],
               hashlib.blake2b(data, digest_size=16).digest())
        hit = _cache.get(key)
        if hit is not None and hit[0] is self.model:
            _cache.move_to_end(key)
            return hit[1]
        with self.backend.autocast():
            values = compute_entropies(self.model, data, **self._kwargs())
        values = np.asarray(values, dtype=np.float32)
        _cache[key] = (self.model, values)
        while sum(v.nbytes for _, v in _cache.values()) > _CACHE_LIMIT_BYTES and len(_cache) > 1:
            _cache.popitem(last=False)
        return values

    def nll(self, data: bytes) -> np.ndarray:
        """Negative log-likelihood in nats of bytes 1..n-1 (see :func:`score_bytes`)."""
        with self.backend.autocast():
            return np.asarray(score_bytes(self.model, data, **self._kwargs()),
                              dtype=np.float64)

    def documents(self, documents: Sequence[tuple[str, bytes]], description: str
                  ) -> Iterator[tuple[str, bytes]]:
        """The documents, with a progress bar (in bytes) on a terminal when enabled."""
        if not (self.shows_progress and len(documents) > 1):
            yield from documents
            return
        from tqdm import tqdm

        with tqdm(total=sum(len(data) for _, data in documents), unit="B", unit_scale=True,
                  desc=description, leave=False) as bar:
            for name, data in documents:
                yield name, data
                bar.update(len(data))


# --- streams of any length --------------------------------------------------------------

def score_stream(score: Callable[[bytes], np.ndarray], chunks: Iterable[bytes],
                 context: int, align: int = 1) -> Iterator[tuple[bytes, np.ndarray]]:
    """``(chunk, its values)`` for a byte stream scored a chunk at a time, so memory
    depends on the chunk size, never on the length of the stream.

    ``score`` is a per-byte scorer of a whole input such as :func:`compute_entropies`
    (one value per byte) or :func:`score_bytes` (one per byte after the first). Each
    chunk is scored after at least the last ``context`` bytes before it (give
    :func:`stream_context`), starting at a multiple of ``align`` (give
    :func:`stream_alignment`), so its first bytes keep the context they would have in
    one piece; only the chunk's own values are yielded. For a stream that fits in one
    chunk, or a model scored through its cache, they are ``score(stream)``'s (up to
    float rounding); with the sliding window, a byte near a chunk edge may be scored
    from another window than in one piece (with the context the window guarantees), so
    its value can differ slightly.
    """
    tail, offset = b"", 0  # the last bytes before the next chunk; bytes so far
    keep = context + align - 1 if context > 0 else 0
    for chunk in chunks:
        if not chunk:
            continue
        start = max(0, offset - context) // align * align  # where the piece starts
        values = score(tail[len(tail) - (offset - start):] + chunk)
        yield chunk, values[max(0, len(values) - len(chunk)):]
        tail = (tail + chunk)[-keep:] if keep > 0 else b""
        offset += len(chunk)


def stream_context(model: torch.nn.Module) -> int:
    """The bytes of context :func:`score_stream` should carry for ``model``: as many as
    one of its results can depend on -- its cache's ``reach`` where it keeps a
    key/value cache (chunked results then equal those of the whole input), else its
    ``block_size``."""
    if keeps_cache(model):
        cached: Any = model
        return int(getattr(cached.new_cache(1), "reach", context_length(model) - 1))
    return context_length(model)


def stream_alignment(model: torch.nn.Module) -> int:
    """Where :func:`score_stream`'s pieces must start for ``model``: at multiples of its
    cache's ``align`` (default 1, anywhere)."""
    if keeps_cache(model):
        cached: Any = model
        return int(getattr(cached.new_cache(1), "align", 1))
    return 1

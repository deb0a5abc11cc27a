"""What goes into the train and eval corpora: sources, eval holdout, mixing, caps.

A :class:`SplitPlan` lists every document (and how many of its bytes are used) of one
split, in order, with each source's share of sampled windows. It is computed from the
config and file metadata alone; the cache (:mod:`.cache`) turns it into bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import attrs

from ..config import DataConfig
from ..errors import DataError
from .documents import Doc, rng_for
from .sources import SYNTHETIC_PREFIX, absolute_spec, resolve_source

CACHE_FORMAT = 1  # part of every cache key: bump when the cache layout changes
SEPARATORS = {"none": b"", "newline": b"\n", "nul": b"\x00"}


@attrs.frozen
class SourcePlan:
    spec: str
    docs: tuple[Doc, ...]
    lengths: tuple[int, ...]  # bytes used of each document (data.max_bytes may cut)
    share: float  # fraction of sampled windows drawn from this source


@attrs.frozen
class Layout:
    """Where each document and source lies in the joined bytes of a split."""

    size: int
    documents: list[tuple[str, int, int]]  # (name, start, end)
    sources: list[tuple[str, int, int, int]]  # (spec, start, end, number of documents)


@attrs.frozen
class SplitPlan:
    split: str  # "train" or "eval"
    sources: tuple[SourcePlan, ...]
    separator: bytes
    settings: dict[str, Any] = attrs.field(eq=False)  # what selects the cache file

    @property
    def name_key(self) -> str:
        """Names the cache file: the specs and settings, not the files' content."""
        return _digest({"format": CACHE_FORMAT, **self.settings})

    def content_key(self) -> str:
        """Changes whenever any byte of the split may change (paths, sizes, mtimes...)."""
        docs = [[*doc.identity, length] for source in self.sources
                for doc, length in zip(source.docs, source.lengths)]
        return _digest({"name": self.name_key,
                        "sources": [[s.spec, len(s.docs)] for s in self.sources],
                        "docs": docs})

    def layout(self) -> Layout:
        position = 0
        documents: list[tuple[str, int, int]] = []
        sources: list[tuple[str, int, int, int]] = []
        for source in self.sources:
            start = position + (len(self.separator) if documents else 0)
            for doc, length in zip(source.docs, source.lengths):
                if documents:
                    position += len(self.separator)
                documents.append((doc.name, position, position + length))
                position += length
            sources.append((source.spec, min(start, position), position, len(source.docs)))
        return Layout(position, documents, sources)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def plan_corpora(data: DataConfig, *, seed: int) -> tuple[SplitPlan, SplitPlan]:
    """The train and eval plans of ``data``; a :class:`DataError` for unusable data."""
    if not data.train:
        raise DataError("data.train lists no sources",
                        hint="e.g. data.train = [\"builtin:python-stdlib\"]")
    check_mix(data.mix, len(data.train))
    train = [_resolve(data, spec, seed, "train", i) for i, spec in enumerate(data.train)]
    if data.eval:
        evals = [_resolve(data, spec, seed, "eval", i) for i, spec in enumerate(data.eval)]
        eval_specs = list(data.eval)
    else:
        train, evals = _hold_out(train, data.eval_fraction, seed)
        eval_specs = [f"{spec} (held out)" for spec in data.train]
        evals, eval_specs = _drop_empty(evals, eval_specs)
        if not evals:
            raise _empty_eval(data.eval_fraction)
    sizes = [sum(doc.size for doc in docs) for docs in train]
    shares = mix_shares(data.mix, sizes)
    limits = ([math.floor(data.max_bytes * share) for share in shares]
              if data.max_bytes is not None else [None] * len(train))
    separator = SEPARATORS[data.separator]
    train_plan = SplitPlan("train", tuple(
        _source_plan(spec, docs, share, limit)
        for spec, docs, share, limit in zip(data.train, train, shares, limits)),
        separator, _settings(data, seed, "train"))
    eval_sizes = [sum(doc.size for doc in docs) for docs in evals]
    eval_plan = SplitPlan("eval", tuple(
        _source_plan(spec, docs, size / sum(eval_sizes), None)
        for spec, docs, size in zip(eval_specs, evals, eval_sizes)),
        separator, _settings(data, seed, "eval"))
    return train_plan, eval_plan


def check_mix(mix: list[float], sources: int) -> None:
    """Mix percentages: one per training source, finite, each > 0 (normalised later)."""
    if not mix:
        return
    if len(mix) != sources:
        raise DataError(f"data.mix has {len(mix)} percentages for {sources} training "
                        f"sources", hint="give one percentage per entry of data.train, "
                                         "in the same order")
    if not all(math.isfinite(p) for p in mix):
        raise DataError(f"data.mix has a value that is not a number: {mix}")
    if all(p == 0 for p in mix):
        raise DataError("data.mix percentages are all zero",
                        hint="give each training source a positive percentage")
    bad = next((p for p in mix if p <= 0), None)
    if bad is not None:
        raise DataError(f"data.mix has a {'negative' if bad < 0 else 'zero'} percentage "
                        f"({bad:g}); each must be positive",
                        hint="remove a source from data.train rather than giving it 0")


def mix_shares(mix: list[float], sizes: list[int]) -> list[float]:
    """Each source's share of sampled windows: mix normalised to sum 1, else by size."""
    weights = mix or sizes
    total = sum(weights)
    return [w / total for w in weights]


def check_windows(train: SplitPlan, evals: SplitPlan, block_size: int) -> None:
    """Every training source, and the eval split, must hold one ``block_size + 1`` window."""
    window = block_size + 1
    train_layout, eval_layout = train.layout(), evals.layout()
    if train_layout.size < window:
        raise DataError(f"the training data has {train_layout.size} bytes, fewer than one "
                        f"window of block_size + 1 = {window} bytes",
                        hint="add data or lower model.block_size")
    for spec, start, end, _ in train_layout.sources:
        if end - start < window:
            raise DataError(f"training source '{spec}' has {end - start} bytes (after the "
                            f"eval holdout and data.max_bytes), fewer than one window of "
                            f"block_size + 1 = {window} bytes",
                            hint="add data to it, remove it, or lower model.block_size")
    if eval_layout.size < window:
        raise DataError(f"the evaluation split has {eval_layout.size} bytes, fewer than one "
                        f"window of block_size + 1 = {window} bytes",
                        hint="add evaluation data (data.eval or a larger "
                             "data.eval_fraction) or lower model.block_size")


def _resolve(data: DataConfig, spec: str, seed: int, split: str, position: int) -> list[Doc]:
    docs = resolve_source(spec, synthetic=data.synthetic, seed_parts=(seed, split, position))
    return [doc for doc in docs if doc.size]


def _hold_out(sources: list[list[Doc]], fraction: float,
              seed: int) -> tuple[list[list[Doc]], list[list[Doc]]]:
    """Hold out ``fraction`` of each source's documents (at least one when it has two or
    more, never all of them), chosen by a seeded permutation, order kept."""
    train, held = [], []
    for position, docs in enumerate(sources):
        count = len(docs)
        k = min(max(round(fraction * count), 1), count - 1) if fraction > 0 else 0
        chosen = set(rng_for(seed, "holdout", position).permutation(count)[:k].tolist())
        train.append([d for i, d in enumerate(docs) if i not in chosen])
        held.append([d for i, d in enumerate(docs) if i in chosen])
    return train, held


def _drop_empty(sources: list[list[Doc]], specs: list[str]) -> tuple[list[list[Doc]], list[str]]:
    kept = [(docs, spec) for docs, spec in zip(sources, specs) if docs]
    return [d for d, _ in kept], [s for _, s in kept]


def _empty_eval(fraction: float) -> DataError:
    if fraction == 0:
        return DataError("the evaluation split would be empty: data.eval is empty and "
                         "data.eval_fraction is 0",
                         hint="list evaluation sources in data.eval or raise "
                              "data.eval_fraction")
    return DataError("the evaluation split would be empty: the holdout takes whole "
                     "documents and every training source has a single document",
                     hint="list evaluation sources in data.eval, or train on a directory "
                          "of several files")


def _source_plan(spec: str, docs: list[Doc], share: float, limit: int | None) -> SourcePlan:
    lengths: list[int] = []
    left = sum(doc.size for doc in docs) if limit is None else limit
    for doc in docs:
        if left <= 0:
            break
        lengths.append(min(doc.size, left))
        left -= lengths[-1]
    return SourcePlan(spec, tuple(docs[:len(lengths)]), tuple(lengths), share)


def _settings(data: DataConfig, seed: int, split: str) -> dict[str, Any]:
    """What decides a split's documents besides the files' content."""
    holdout = not data.eval
    specs = data.train if split == "train" or holdout else data.eval
    synthetic = any(spec.startswith(SYNTHETIC_PREFIX) for spec in specs)
    settings: dict[str, Any] = {"split": split, "sources": [absolute_spec(s) for s in specs],
                "holdout": data.eval_fraction if holdout else None,
                "separator": data.separator,
                "seed": seed if synthetic or holdout else None,
                "synthetic": attrs.asdict(data.synthetic) if synthetic else None}
    if split == "train" and data.max_bytes is not None:
        settings.update(max_bytes=data.max_bytes, mix=data.mix)
    return settings

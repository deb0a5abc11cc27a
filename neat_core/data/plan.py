"""What goes into the train and eval corpora: sources, eval holdout, mixing, caps.

A :class:`SplitPlan` lists, for each source of one split, which of its documents are
used (and how many bytes of each) with the source's share of sampled windows. It is
computed from the sources' catalogs (:mod:`.ingest`: the size of every document); the
split cache (:mod:`.cache`) turns it into bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Callable

import attrs
import numpy as np

from ..config import NeatConfig
from ..errors import DataError
from .documents import rng_for
from .ingest import Catalog
from .sources import Seed, absolute_spec

CACHE_FORMAT = 3  # part of every split cache key: bump when the cache layout changes
SEPARATORS = {"none": b"", "newline": b"\n", "nul": b"\x00"}
CatalogFor = Callable[[str, Seed], Catalog]  # (spec, seed) -> the source's catalog


@attrs.frozen
class SourcePlan:
    spec: str
    catalog: Catalog
    picks: np.ndarray = attrs.field(eq=False, repr=False)  # documents used, in order
    lengths: np.ndarray = attrs.field(eq=False, repr=False)  # bytes used of each
    share: float  # fraction of sampled windows drawn from this source


@attrs.frozen
class Layout:
    """Where each source lies in the joined bytes of a split."""

    size: int
    documents: int
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
        """Changes whenever any byte of the split may change (a source's content)."""
        return _digest({"name": self.name_key,
                        "sources": [[s.spec, s.catalog.key] for s in self.sources]})

    def layout(self) -> Layout:
        position, documents = 0, 0
        sources: list[tuple[str, int, int, int]] = []
        for source in self.sources:
            count = len(source.picks)
            start = position + (len(self.separator) if documents and count else 0)
            if count:
                position = start + int(source.lengths.sum()) + \
                    (count - 1) * len(self.separator)
            documents += count
            sources.append((source.spec, min(start, position), position, count))
        return Layout(position, documents, sources)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def plan_corpora(config: NeatConfig, catalog: CatalogFor, names: Any = ()
                 ) -> tuple[SplitPlan, SplitPlan]:
    """The train and eval plans of ``config.data``; ``catalog`` gives each source's
    documents (``names``: the registered source names, for cache keys). A
    :class:`DataError` for unusable data."""
    data, seed = config.data, config.run.seed
    if not data.train:
        raise DataError("data.train lists no sources",
                        hint="list files, directories, globs or NAME:TARGET specs of a data "
                             "source in data.train (`neat plugins` lists the sources)")
    check_mix(data.mix, len(data.train))
    train = [catalog(spec, (seed, "train", i)) for i, spec in enumerate(data.train)]
    every = [np.arange(len(c.sizes)) for c in train]
    if data.eval:
        evals = [catalog(spec, (seed, "eval", i)) for i, spec in enumerate(data.eval)]
        eval_specs, eval_picks, train_picks = list(data.eval), \
            [np.arange(len(c.sizes)) for c in evals], every
    else:
        train_picks, eval_picks = _hold_out(train, data.eval_fraction, seed)
        kept = [(c, p, f"{c.spec} (held out)") for c, p in zip(train, eval_picks) if len(p)]
        if not kept:
            raise _empty_eval(data.eval_fraction)
        evals = [c for c, _, _ in kept]
        eval_picks = [p for _, p, _ in kept]
        eval_specs = [s for _, _, s in kept]
    sizes = [int(c.sizes[p].sum()) for c, p in zip(train, train_picks)]
    shares = mix_shares(data.mix, sizes)
    limits = ([math.floor(data.max_bytes * share) for share in shares]
              if data.max_bytes is not None else [None] * len(train))
    separator = SEPARATORS[data.separator]
    train_plan = SplitPlan("train", tuple(
        _source_plan(spec, c, p, share, limit)
        for spec, c, p, share, limit in zip(data.train, train, train_picks, shares, limits)),
        separator, _settings(config, "train", names))
    eval_sizes = [int(c.sizes[p].sum()) for c, p in zip(evals, eval_picks)]
    eval_plan = SplitPlan("eval", tuple(
        _source_plan(spec, c, p, size / sum(eval_sizes), None)
        for spec, c, p, size in zip(eval_specs, evals, eval_picks, eval_sizes)),
        separator, _settings(config, "eval", names))
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


def _hold_out(sources: list[Catalog], fraction: float, seed: int
              ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Hold out ``fraction`` of each source's documents (at least one when it has two or
    more, never all of them), chosen by a seeded permutation, order kept."""
    train, held = [], []
    for position, catalog in enumerate(sources):
        count = len(catalog.sizes)
        k = min(max(round(fraction * count), 1), count - 1) if fraction > 0 else 0
        chosen = np.zeros(count, dtype=bool)
        chosen[rng_for(seed, "holdout", position).permutation(count)[:k]] = True
        train.append(np.flatnonzero(~chosen))
        held.append(np.flatnonzero(chosen))
    return train, held


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


def _source_plan(spec: str, catalog: Catalog, picks: np.ndarray, share: float,
                 limit: int | None) -> SourcePlan:
    lengths = catalog.sizes[picks]
    if limit is not None:  # whole documents in order, the last one cut at the limit
        ends = np.cumsum(lengths)
        count = min(int(np.searchsorted(ends, limit, side="left")) + 1, len(ends))
        lengths = lengths[:count].copy()
        if count and ends[count - 1] > limit:
            lengths[-1] -= int(ends[count - 1]) - limit
        picks = picks[:count]
        used = lengths > 0
        picks, lengths = picks[used], lengths[used]
    return SourcePlan(spec, catalog, picks, lengths, share)


def _settings(config: NeatConfig, split: str, names: Any) -> dict[str, Any]:
    """What decides a split's documents besides the sources' content."""
    data = config.data
    holdout = not data.eval
    specs = data.train if split == "train" or holdout else data.eval
    settings: dict[str, Any] = {
        "split": split, "sources": [absolute_spec(s, names) for s in specs],
        "holdout": data.eval_fraction if holdout else None, "separator": data.separator,
        "seed": config.run.seed}
    if split == "train" and data.max_bytes is not None:
        settings.update(max_bytes=data.max_bytes, mix=data.mix)
    return settings

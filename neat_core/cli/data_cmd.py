"""``neat data``: what the byte sources hold and whether their cache is built."""

from __future__ import annotations

import json
from typing import Any

import attrs
import click

from ..commands import ConfigCommand
from ..errors import DataError


@click.group()
def data() -> None:
    """Inspect the byte sources that training and evaluation read, and prepare their
    cache."""


def _with_sources(config: Any, sources: tuple[str, ...]) -> Any:
    return attrs.evolve(config, data=attrs.evolve(config.data, train=list(sources))) \
        if sources else config


@data.command("inspect", cls=ConfigCommand, flags=("run.seed",))
@click.argument("sources", nargs=-1)
@click.option("--files", "list_files", is_flag=True,
              help="List every file (unit) with its kind, documents and bytes.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(resolved, sources: tuple[str, ...], list_files: bool, as_json: bool) -> None:
    """Per source in SOURCES (default: the config's data.train): its kinds (raw, gzip,
    jsonl+zstd, parquet...), documents, bytes before and after decompression, bad
    records skipped, the share of text vs binary and its cache state; then the
    train/eval split and the split caches.

    Figures come from a source's cache when it is built (`neat data prepare`), else the
    source is read to count them. A document counts as binary when its first 8 KB hold
    a NUL byte or are not valid UTF-8. Cache states: built (ready), stale (sources
    changed; rebuilt on use), corrupt (rebuilt on use), missing (built on first use).
    Exits 2 when the data cannot be used for training.
    """
    from ..data.inspection import inspect_data  # numpy only when the command runs

    config = _with_sources(resolved.config, sources)
    report = inspect_data(config, list_files=list_files, progress=config.run.progress)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo("\n".join(_text(report)))
    if report["error"]:
        raise DataError(report["error"])


@data.command("prepare", cls=ConfigCommand, flags=("run.seed",))
@click.argument("sources", nargs=-1)
def prepare(resolved, sources: tuple[str, ...]) -> None:
    """Build the byte cache of SOURCES (default: the config's data.train and data.eval)
    ahead of training: every source is ingested (with progress, bytes/s and an ETA)
    and the train and eval splits are cut, exactly as `neat train` would.

    Interrupting it (Ctrl-C) removes the unfinished cache and keeps the sources already
    ingested; running it again continues with the rest. Exits 2 for unusable data.
    """
    from ..data import build_corpora

    config = _with_sources(resolved.config, sources)
    corpora = build_corpora(config, block_size=config.model.block_size,
                            progress=config.run.progress)
    for corpus in (corpora.train, corpora.eval):
        click.echo(f"{corpus.split:<5}  {len(corpus.documents):>8} documents  "
                   f"{_size(len(corpus)):>9}  {corpus.path}")


def _size(count: float) -> str:
    from ..data.ingest import byte_size  # numpy only when a command runs

    return byte_size(count)


def _source_lines(title: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = [title]
    width = max(len(row["spec"]) for row in rows)
    for row in rows:
        text = 100 * row["text_bytes"] / row["bytes"] if row["bytes"] else 0.0
        kinds = ", ".join(f"{kind} x{count}" if count > 1 else kind
                          for kind, count in row["kinds"].items())
        extra = "".join(f"  {row[key]} {what} skipped" for key, what in (
            ("empty_documents", "empty"), ("bad_records", "bad records")) if row[key])
        lines.append(f"  {row['spec']:<{width}}  {row['documents']:>8} documents  "
                     f"{_size(row['bytes']):>9} ({_size(row['stored_bytes'])} stored)  "
                     f"text {text:5.1f}%  binary {100 - text if row['bytes'] else 0:5.1f}%"
                     f"{extra}  cache {row['cache']['state']}")
        lines.append(f"      {kinds}")
        lines += [f"      bad: {example}" for example in row["bad_examples"]]
        for item in row.get("files", []):
            lines.append(f"      {item['name']}  {item['kind']}  {item['documents']} "
                         f"documents  {_size(item['bytes'])} ({_size(item['stored_bytes'])} "
                         f"stored)")
    return lines


def _text(report: dict[str, Any]) -> list[str]:
    lines = _source_lines("training sources:", report["sources"])
    lines += _source_lines("evaluation sources:", report["eval_sources"])
    if report["eval_fraction"] is not None:
        lines.append(f"evaluation: {report['eval_fraction']:.1%} of each training source's "
                     f"documents held out (seed {report['seed']})")
    if report["splits"]:
        lines.append(f"splits and cache (in {report['cache_dir']}):")
        for split, info in report["splits"].items():
            cache = info["cache"]
            lines.append(f"  {split:<5}  {info['documents']:>8} documents  "
                         f"{_size(info['bytes']):>9}  cache {cache['state']:<7}  "
                         f"{cache['path']}")
            if split == "train":
                shares = ", ".join(f"{spec} {100 * share:.1f}%"
                                   for spec, share in info["shares"].items())
                lines.append(f"         windows drawn: {shares}")
    return lines

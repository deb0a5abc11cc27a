"""``neat data``: what the byte sources hold and whether their cache is built."""

from __future__ import annotations

import json
from typing import Any

import attrs
import click

from ..errors import DataError
from .options import ConfigCommand


@click.group()
def data() -> None:
    """Inspect the byte sources that training and evaluation read."""


@data.command("inspect", cls=ConfigCommand, flags=("run.seed",))
@click.argument("sources", nargs=-1)
@click.option("--files", "list_files", is_flag=True,
              help="List every document with its size and kind.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def inspect(resolved, sources: tuple[str, ...], list_files: bool, as_json: bool) -> None:
    """Files found in SOURCES (default: the config's data.train), bytes per source,
    share of text vs binary, the train/eval split, and the cache state.

    A document counts as binary when its first 8 KB hold a NUL byte or are not valid
    UTF-8. Cache states: built (ready), stale (sources changed; rebuilt on use),
    corrupt (rebuilt on use), missing (built on first use). Exits 2 when the data
    cannot be used for training.
    """
    from ..data.inspection import inspect_data  # numpy only when the command runs

    config = resolved.config
    data_config = attrs.evolve(config.data, train=list(sources)) if sources else config.data
    report = inspect_data(data_config, seed=config.run.seed, list_files=list_files)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo("\n".join(_text(report)))
    if report["error"]:
        raise DataError(report["error"])


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def _source_lines(title: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = [title]
    width = max(len(row["spec"]) for row in rows)
    for row in rows:
        text = 100 * row["text_bytes"] / row["bytes"] if row["bytes"] else 0.0
        empty = f", {row['empty_files']} empty skipped" if row["empty_files"] else ""
        lines.append(f"  {row['spec']:<{width}}  {row['documents']:>7} documents  "
                     f"{_size(row['bytes']):>9}  text {text:5.1f}%  binary "
                     f"{100 - text if row['bytes'] else 0:5.1f}%{empty}")
        for item in row.get("files", []):
            lines.append(f"      {item['name']}  {_size(item['bytes'])}  {item['kind']}")
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
            lines.append(f"  {split:<5}  {info['documents']:>7} documents  "
                         f"{_size(info['bytes']):>9}  cache {cache['state']:<7}  "
                         f"{cache['path']}")
            if split == "train":
                shares = ", ".join(f"{spec} {100 * share:.1f}%"
                                   for spec, share in info["shares"].items())
                lines.append(f"         windows drawn: {shares}")
    return lines

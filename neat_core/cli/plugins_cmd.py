"""``neat plugins``: what is installed, what it registered, and what failed."""

from __future__ import annotations

import json

import attrs
import click

from ..plugins import lenient, plugin_infos
from ..registry import get_registry


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Include blocked and not-allowed plugins.")
def plugins(as_json: bool, show_all: bool) -> None:
    """List plugins: distribution, version, hooks, what each registered, failures."""
    with lenient():  # strict mode or not, list what failed and why
        get_registry()  # records what each plugin registered
    infos = [info for info in plugin_infos()
             if show_all or info.status in {"loaded", "failed"}]
    if as_json:
        click.echo(json.dumps([attrs.asdict(info) for info in infos], indent=2))
        return
    for info in infos:
        origin = f"{info.distribution} {info.version}" if info.distribution else info.module
        click.echo(f"{info.name}  ({origin})  [{info.status}]")
        if info.error:
            click.echo(f"  error: {info.error}")
        if info.hooks:
            click.echo(f"  hooks: {', '.join(info.hooks)}")
        for kind, names in sorted(info.registered.items()):
            click.echo(f"  {kind}: {', '.join(sorted(names))}")

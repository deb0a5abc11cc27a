"""``neat config``: show, explain, validate, initialise, migrate and describe configs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..commands import ALL, ConfigCommand
from ..errors import UsageError


def write_new_file(path: Path, text: str, force: bool) -> None:
    from ..files import atomic_write

    """Write ``text`` to ``path``, refusing to replace an existing file unless forced."""
    if (path.exists() or path.is_symlink()) and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to replace it")
    atomic_write(path, text)


def dump_json(data: object) -> str:
    return json.dumps(data, indent=2) + "\n"


@click.group()
def config() -> None:
    """Show, validate, create and migrate configs."""


@config.command("show", cls=ConfigCommand, flags=(ALL,))
@click.option("--explain", is_flag=True, help="Show where each value came from.")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved config as JSON.")
def show(resolved, explain: bool, as_json: bool) -> None:
    """Print the resolved config (defaults < extends < file < flags)."""
    from ..config import to_dict

    if as_json and not explain:
        click.echo(dump_json(to_dict(resolved.config)), nl=False)
        return
    rows = resolved.explain()
    width = max(len(path) for path, _, _ in rows)
    for path, value, source in rows:
        line = f"{path:<{width}} = {json.dumps(value)}"
        click.echo(f"{line:<{width + 30}}  # {source}" if explain else line)


@config.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> None:
    """Check FILE against the schema; exit 2 with the first problem."""
    from ..config import load_config

    load_config(file)
    click.echo(f"{file}: valid")


@config.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of config files (generated from the schema classes)."""
    from ..config.json_schema import config_json_schema
    from ..files import atomic_write

    text = dump_json(config_json_schema())
    if output:
        atomic_write(output, text)
    else:
        click.echo(text, nl=False)


@config.command("init", cls=ConfigCommand, flags=(ALL,))
@click.argument("path", type=click.Path(path_type=Path), default=Path("neat.json"))
@click.option("--force", is_flag=True, help="Replace an existing file.")
def init(resolved, path: Path, force: bool) -> None:
    """Write a starter config with every key and its default to PATH."""
    from ..config import file_data

    write_new_file(path, dump_json(file_data(resolved.config)), force)
    click.echo(f"wrote {path}; check it with: neat config show -c {path} --explain")


@config.command("migrate")
@click.argument("old", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the migrated config here (default: print it).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def migrate_command(old: Path, output: Path | None, force: bool) -> None:
    """Convert a config of the older tool and report what happened to every key."""
    from ..config import config_from_dict, migrate, read_json_file

    migration = migrate(read_json_file(old))
    config_from_dict(migration.config)  # never write a config that would not load
    click.echo(f"migration report for {old}:", err=True)
    click.echo(migration.report(), err=True)
    text = dump_json(migration.config)
    if output is None:
        click.echo(text, nl=False)
        return
    write_new_file(output, text, force)
    click.echo(f"wrote {output}", err=True)

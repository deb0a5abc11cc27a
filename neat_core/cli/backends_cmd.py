"""``neat backends``: every registered backend, whether it is available and why.

Probing is the backends' business; on a machine without GPUs none of the built-in
probes imports torch, so the command answers at once.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..commands import config_command
from ..errors import PluginError
from ..registry import get_registry


@config_command("backends")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def backends(resolved, as_json: bool) -> None:
    """List device backends: availability and why, device, memory, settings.

    The settings are those each available backend would apply for the config given
    with -c/--set; the row marked auto is the one `backend.name = "auto"` picks.
    """
    from ..backends import auto_candidates, build_backend

    registry = get_registry()
    config = resolved.config.backend
    rows = []
    for name, entry in sorted(registry.backends.items()):
        try:
            row = build_backend(registry, name).describe(config)
        except PluginError as error:
            row = {"name": name, "description": entry.description, "available": False,
                   "reason": f"failed: {error.message}"}
        rows.append({**row, "plugin": entry.plugin, "auto": False})
    available = {row["name"] for row in rows if row["available"]}
    auto = next((b.name for b in auto_candidates(registry) if b.name in available), None)
    for row in rows:
        row["auto"] = row["name"] == auto
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo("\n".join(_text_lines(row)))
    click.echo(f"auto picks: {auto or 'nothing (no backend available)'}")


def _gib(size: int | None) -> str:
    return "" if size is None else f", {size / 2**30:.1f} GiB"


def _text_lines(row: dict[str, Any]) -> list[str]:
    state = "available" if row["available"] else "unavailable"
    lines = [f"{row['name']}  [{state}: {row['reason']}]  (plugin {row['plugin']})"]
    if not row["available"]:
        return lines
    lines.append(f"  device: {row['device']} ({row.get('device_name') or 'unknown'}"
                 f"{_gib(row.get('memory_bytes'))})")
    lines.append(f"  mixed precision: {', '.join(row['mixed_precision_dtypes']) or 'none'}")
    if "settings_error" in row:
        lines.append(f"  settings: error: {row['settings_error']}")
    else:
        settings = {key: value for key, value in row["settings"].items()
                    if key != "environment"}
        lines.append("  settings: " + ", ".join(f"{key}={value}" for key, value in
                                                 settings.items()))
        for variable, value in row["settings"]["environment"].items():
            lines.append(f"  environment: {variable}={value}")
    return lines

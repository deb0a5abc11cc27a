"""``neat analyze``: entropy and patch statistics, a threshold sweep, the shaded input;
``--interactive`` for a prompt loop."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..commands import config_command
from ..errors import PluginError, UsageError
from ..registry import Entry, get_registry
from .eval_cmd import DATA, FLAGS, OUT, emit, quiet_config

if TYPE_CHECKING:
    from ..config import ResolvedConfig


@config_command("analyze", *FLAGS)
@click.argument("checkpoint")
@DATA
@click.option("--text", "text", metavar="STRING", help="Analyse this string instead of files.")
@click.option("-i", "--interactive", is_flag=True,
              help="Type text and see it shaded by entropy with patch boundaries; "
                   ":help lists the commands.")
@OUT
def analyze_command(resolved: ResolvedConfig, checkpoint: str, data: tuple[str, ...],
                    text: str | None, interactive: bool, out: Path) -> None:
    """Entropy statistics, patches, a threshold sweep and the start of the input shaded
    by entropy, for CHECKPOINT (a checkpoint or run directory).

    Input: --data SOURCE..., --text STRING, or by default the checkpoint config's
    evaluation split. Flags, -c and --set override the checkpoint's settings. Reports:
    --report text,json,html (files to --out).
    """
    from ..app import analyze
    from ..reporting import report_writers
    from ..session import open_checkpoint

    if data and text is not None:
        raise UsageError("--data and --text are alternatives", hint="pass one of them")
    resolved = quiet_config(resolved)
    if interactive:
        if data:
            raise UsageError("--interactive reads its input from the prompt",
                             hint="drop --data; inside the loop, :load FILE analyses a file")
        frontend = _interactive_frontend()
        frontend.factory(open_checkpoint(checkpoint, resolved), text)
        return
    reports = resolved.config.eval.reports
    report_writers(reports, resolved.config, out)  # unknown names, unwritable --out: now
    results = analyze(checkpoint, data=list(data) or None, text=text, overrides=resolved)
    emit(results, resolved, out)


def _interactive_frontend() -> Entry:
    """The front-end ``neat analyze -i`` runs (``register_interactive_frontends``)."""
    registry = get_registry()
    name = registry.default_name("interactive_frontends")
    if name is None:
        raise PluginError("no plugin offers a front-end for interactive analysis",
                          hint="install or unblock the built-in 'tui' plugin (see `neat "
                               "plugins`)")
    return registry.get("interactive_frontends", name)

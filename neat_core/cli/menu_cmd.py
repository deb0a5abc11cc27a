"""``neat menu``: choose instead of type. Each entry asks for the values it needs (with
defaults), prints the equivalent command line and runs that very command -- the menu
holds no logic of its own."""

from __future__ import annotations

import shlex
from typing import Callable

import click

from ..config import default_config


def _ask(text: str, default: str = "") -> str:
    return click.prompt(text, default=default, show_default=bool(default)).strip()


def _sources(text: str) -> list[str]:
    return [arg for source in shlex.split(text) for arg in ("--data", source)]


def train_args() -> list[str]:
    defaults = default_config()
    args = ["train"]
    config = _ask("Config file (empty: the quick-start defaults)")
    if config:
        args += ["-c", config]
    args += ["--max-steps", _ask("Training steps", str(defaults.training.max_steps)),
             "--output-dir", _ask("Output directory", defaults.run.output_dir),
             "--backend", _ask("Backend (auto, cpu, cuda, mps)", defaults.backend.name)]
    return args


def _checkpoint() -> str:
    return _ask("Checkpoint or run directory", default_config().run.output_dir)


def _reports() -> list[str]:
    reports = _ask("Reports (comma-separated: text, json, html)", "text")
    out = _ask("Directory for report files", ".") if reports != "text" else "."
    return ["--report", reports, "--out", out]


def eval_args() -> list[str]:
    checkpoints = shlex.split(_ask("Checkpoint(s) (several: compared side by side)",
                                   default_config().run.output_dir))
    data = _ask("Data to evaluate on (files, directories, globs; empty: the evaluation "
                "split)")
    return ["eval", *checkpoints, *_sources(data), *_reports()]


def analyze_args() -> list[str]:
    checkpoint = _checkpoint()
    if click.confirm("Interactive (type text, see patches)?", default=False):
        return ["analyze", checkpoint, "--interactive"]
    text = _ask("Text to analyse (empty: files)")
    source = ["--text", text] if text else _sources(
        _ask("Files to analyse (empty: the evaluation split)"))
    return ["analyze", checkpoint, *source, *_reports()]


def patch_args() -> list[str]:
    return ["patch", _checkpoint(), *shlex.split(_ask("File to split into patches"))]


def config_args() -> list[str]:
    path = _ask("Config file to show (empty: the defaults)")
    return ["config", "show", "--explain", *(["-c", path] if path else [])]


ENTRIES: list[tuple[str, str, Callable[[], list[str]]]] = [
    ("train", "train a model", train_args),
    ("evaluate", "bits per byte of a checkpoint, beside gzip/bz2/xz", eval_args),
    ("analyse", "entropy, patches and threshold sweep; or interactive", analyze_args),
    ("patch", "split a file into entropy patches", patch_args),
    ("configs", "show a config and where each value comes from", config_args),
    ("backends", "available devices and their settings", lambda: ["backends"]),
    ("plugins", "installed plugins and what they registered", lambda: ["plugins"]),
]


@click.command("menu")
@click.pass_context
def menu_command(ctx: click.Context) -> None:
    """An interactive menu: train, evaluate, analyse, patch, configs, backends, plugins."""
    root = ctx.find_root().command
    names = [name for name, _, _ in ENTRIES]
    choices = [str(i) for i in range(1, len(ENTRIES) + 1)] + names + ["q", "quit"]
    while True:
        click.echo("\nNEAT menu")
        for number, (name, description, _) in enumerate(ENTRIES, 1):
            click.echo(f"  {number}. {name:<9} {description}")
        click.echo("  q. quit")
        try:
            choice = click.prompt("Choose", type=click.Choice(choices), show_choices=False)
            if choice in ("q", "quit"):
                return
            entry = ENTRIES[int(choice) - 1] if choice.isdigit() else ENTRIES[names.index(choice)]
            args = entry[2]()
        except click.Abort:  # end of input or Ctrl-C at a prompt
            click.echo()
            return
        click.echo(f"$ neat {shlex.join(args)}")
        try:
            code = root.main(args, prog_name="neat", standalone_mode=False)
        except click.ClickException as error:  # bad flags: shown, then back to the menu
            error.show()
            code = error.exit_code
        except click.Abort:
            code = 1
        if code:
            click.echo(f"(exit code {code})")

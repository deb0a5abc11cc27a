"""The menu's own forms for the commands that need more than their flags: train, resume,
eval, compare and analyze. Each asks its questions and returns the command line to run;
it holds no logic of the commands themselves.
"""

from __future__ import annotations

import os
from typing import Callable

import attrs
import click

from neat_core.api import load_config
from neat_core.training import RunDirectory

from ..prompts import ask, choose, path_completer, required
from .fields import (
    ask_checkpoint,
    ask_config_file,
    ask_setting,
    ask_sources,
    check_checkpoint,
    free_run_dir,
    has_run,
    run_with_checkpoints,
)


@attrs.define
class MenuState:
    """What the menu remembers between items of one session."""

    config_file: str | None = None  # the config chosen for training
    last_run: str | None = None  # the run trained or resumed last
    last_checkpoint: str | None = None  # the checkpoint (or run) used last

    def checkpoint_default(self) -> str:
        if self.last_checkpoint or self.last_run:
            return self.last_checkpoint or self.last_run or ""
        output_dir = load_config(self.config_file).config.run.output_dir
        return output_dir if has_run(output_dir) else ""


@attrs.frozen
class Job:
    """A command line to run, and what to remember when it has run (given its exit code)."""

    args: list[str]
    after: Callable[[int], None] = lambda code: None


def flag_args(command: click.Command, changes: dict[str, str]) -> list[str]:
    """The flags for changed config values: the command's own flag, else ``--set``."""
    from neat_core.api import ConfigCommand

    args: list[str] = []
    for path, value in changes.items():
        flag = command.flag_for(path) if isinstance(command, ConfigCommand) else None
        args += [flag, value] if flag else ["--set", f"{path}={value}"]
    return args


def train(command: click.Command, state: MenuState) -> Job:
    config_file = ask_config_file(state.config_file)
    state.config_file = config_file
    changes = {}
    for path, label, check in (("training.max_steps", "Training steps", None),
                               ("run.output_dir", "Output directory", free_run_dir),
                               ("backend.name", "Backend", None)):
        value = ask_setting(path, label, config_file, check)
        if value is not None:
            changes[path] = value
    output_dir = changes.get("run.output_dir") or load_config(
        config_file).config.run.output_dir
    return Job(["train", *(["-c", config_file] if config_file else []),
                *flag_args(command, changes)],
               after=lambda code: remember_run(state, output_dir))


def remember_run(state: MenuState, run: str) -> None:
    if has_run(run):
        state.last_run, state.last_checkpoint = run, None


def resume(command: click.Command, state: MenuState) -> Job:
    default = state.last_run or state.checkpoint_default()
    run = os.path.expanduser(ask("Run directory to continue", default=default,
                                 check=run_with_checkpoints,
                                 completer=path_completer(only_directories=True),
                                 history_key="checkpoint"))
    config_file = str(RunDirectory(run).path / "config.json")
    steps = ask_setting("training.max_steps", "Train to step", config_file)
    return Job(["train", "--resume", run, *(["--max-steps", steps] if steps else [])],
               after=lambda code: remember_run(state, run))


def _reports(args: list[str]) -> list[str]:
    reports = ask_setting("eval.reports", "Reports (comma-separated)", None)
    if reports is None:
        return args
    out = ask("Directory for report files", default=".", completer=path_completer(True),
              history_key="out")
    return [*args, "--report", reports, "--out", os.path.expanduser(out or ".")]


def _data_args(sources: list[str]) -> list[str]:
    return [arg for source in sources for arg in ("--data", source)]


def remember_checkpoint(state: MenuState, checkpoint: str | None) -> Callable[[int], None]:
    """What to do after a command that read ``checkpoint``: remember it if it worked."""
    def after(code: int) -> None:
        if code == 0 and checkpoint:
            state.last_checkpoint = checkpoint

    return after


def evaluate(command: click.Command, state: MenuState) -> Job:
    checkpoint = ask_checkpoint("Checkpoint or run directory", state.checkpoint_default())
    sources = ask_sources("Data to evaluate on (file, directory, glob; empty: the "
                          "evaluation split)")
    return Job(_reports(["eval", checkpoint, *_data_args(sources)]),
               after=remember_checkpoint(state, checkpoint))


def compare(command: click.Command, state: MenuState) -> Job:
    first = ask_checkpoint("First checkpoint or run directory", state.checkpoint_default())
    others = ask_sources("Another checkpoint or run directory", at_least=1,
                         check=check_checkpoint)
    sources = ask_sources("Data to compare on (empty: the first one's evaluation split)")
    return Job(_reports(["compare", first, *others, *_data_args(sources)]))


def analyze(command: click.Command, state: MenuState) -> Job:
    checkpoint = ask_checkpoint("Checkpoint or run directory", state.checkpoint_default())
    how = choose("Analyse what?", [
        ("interactive", "text I type, shaded as I go (interactive)"),
        ("text", "one text I type now"),
        ("files", "files, directories or globs"),
        ("split", "the checkpoint's evaluation split")])
    args = ["analyze", checkpoint]
    if how == "interactive":
        return Job([*args, "--interactive"], after=remember_checkpoint(state, checkpoint))
    if how == "text":
        args += ["--text", ask("Text to analyse", check=required, history_key="text")]
    elif how == "files":
        args += _data_args(ask_sources("File, directory or glob to analyse", at_least=1))
    return Job(_reports(args), after=remember_checkpoint(state, checkpoint))


FORMS: dict[str, tuple[str, str, Callable[[click.Command, MenuState], Job]]] = {
    # menu entry: (command, description, form)
    "train": ("train", "train a model", train),
    "resume": ("train", "continue a run, e.g. to more steps", resume),
    "eval": ("eval", "bits per byte of a checkpoint, beside gzip/bz2/xz", evaluate),
    "compare": ("compare", "several checkpoints side by side", compare),
    "analyze": ("analyze", "entropy, patches and threshold sweep; or interactive", analyze),
}

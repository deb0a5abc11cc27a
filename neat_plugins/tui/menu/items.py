"""The menu's own forms for the commands that need more than their flags: train, resume,
eval, compare and analyze. Each asks its questions and returns the command line to run;
it holds no logic of the commands themselves.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import attrs
import click

from neat_core.api import load_config
from neat_core.training import RunDirectory

from ..prompts import Check, ask, choose, console, path_completer, required
from .fields import (
    ask_checkpoint,
    ask_config_file,
    ask_setting,
    ask_sources,
    check_checkpoint,
    free_run_dir,
    has_run,
    option_check,
    run_with_checkpoints,
)
from .form import Form


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
    form = Form()

    def config_file() -> str | None:
        chosen = ask_config_file(form.earlier.get("config", state.config_file))
        console().print(f"train · config: {chosen or 'built-in defaults'}", style="bold")
        return chosen

    def setting(path: str, label: str, check: Check | None = None) -> Callable[[], Any]:
        return lambda: ask_setting(path, label, form.answers["config"], check,
                                   form.earlier.get(path))

    form.question("config", config_file)
    for path, label, check in (("training.max_steps", "Training steps", None),
                               ("run.output_dir", "Output directory", free_run_dir),
                               ("backend.name", "Backend", None)):
        form.question(path, setting(path, label, check))
    answers = form.run()
    config = state.config_file = answers.pop("config")
    changes = {path: value for path, value in answers.items() if value is not None}
    output_dir = changes.get("run.output_dir") or load_config(config).config.run.output_dir
    return Job(["train", *(["-c", config] if config else []), *flag_args(command, changes)],
               after=lambda code: remember_run(state, output_dir))


def remember_run(state: MenuState, run: str) -> None:
    if has_run(run):
        state.last_run, state.last_checkpoint = run, None


def resume(command: click.Command, state: MenuState) -> Job:
    form = Form()
    form.question("run", lambda: os.path.expanduser(ask(
        "Run directory to continue", default=state.last_run or state.checkpoint_default(),
        check=run_with_checkpoints, completer=path_completer(only_directories=True),
        history_key="checkpoint")))
    form.question("steps", lambda: ask_setting(
        "training.max_steps", "Train to step",
        str(RunDirectory(form.answers["run"]).path / "config.json")))
    answers = form.run()
    run, steps = answers["run"], answers["steps"]
    return Job(["train", "--resume", run, *(["--max-steps", steps] if steps else [])],
               after=lambda code: remember_run(state, run))


def report_questions(form: Form, when: Callable[[], bool] = lambda: True) -> None:
    """Which reports, and where their files go (asked only when the reports change)."""
    form.question("reports", lambda: ask_setting("eval.reports", "Reports (comma-separated)",
                                                 None), when=when)
    form.question("out", lambda: os.path.expanduser(ask(
        "Directory for report files", default=".", completer=path_completer(True),
        history_key="out")), when=lambda: form.answers.get("reports") is not None)


def report_args(answers: dict[str, Any]) -> list[str]:
    if answers.get("reports") is None:
        return []
    return ["--report", answers["reports"], "--out", answers["out"]]


def _data_args(sources: list[str]) -> list[str]:
    return [arg for source in sources for arg in ("--data", source)]


def remember_checkpoint(state: MenuState, checkpoint: str | None) -> Callable[[int], None]:
    """What to do after a command that read ``checkpoint``: remember it if it worked."""
    def after(code: int) -> None:
        if code == 0 and checkpoint:
            state.last_checkpoint = checkpoint

    return after


def checkpoint_question(form: Form, state: MenuState,
                        label: str = "Checkpoint or run directory") -> None:
    form.question("checkpoint", lambda: ask_checkpoint(
        label, form.earlier.get("checkpoint") or state.checkpoint_default()))


def evaluate(command: click.Command, state: MenuState) -> Job:
    form = Form()
    checkpoint_question(form, state)
    form.question("data", lambda: ask_sources("Data to evaluate on (file, directory, glob; "
                                              "empty: the evaluation split)"))
    report_questions(form)
    answers = form.run()
    checkpoint = answers["checkpoint"]
    return Job(["eval", checkpoint, *_data_args(answers["data"]), *report_args(answers)],
               after=remember_checkpoint(state, checkpoint))


def compare(command: click.Command, state: MenuState) -> Job:
    form = Form()
    checkpoint_question(form, state, "First checkpoint or run directory")
    form.question("others", lambda: ask_sources("Another checkpoint or run directory",
                                                at_least=1, check=check_checkpoint))
    form.question("data", lambda: ask_sources("Data to compare on (empty: the first one's "
                                              "evaluation split)"))
    report_questions(form)
    answers = form.run()
    return Job(["compare", answers["checkpoint"], *answers["others"],
                *_data_args(answers["data"]), *report_args(answers)])


def analyze(command: click.Command, state: MenuState) -> Job:
    form = Form()
    checkpoint_question(form, state)
    form.question("how", lambda: choose("Analyse what?", [
        ("interactive", "text I type, shaded as I go (interactive)"),
        ("text", "one text I type now"),
        ("files", "files, directories or globs"),
        ("split", "the checkpoint's evaluation split")]))
    form.question("text", lambda: ask("Text to analyse", check=required, history_key="text"),
                  when=lambda: form.answers["how"] == "text")
    form.question("files", lambda: ask_sources("File, directory or glob to analyse",
                                               at_least=1),
                  when=lambda: form.answers["how"] == "files")
    report_questions(form, when=lambda: form.answers["how"] != "interactive")
    answers = form.run()
    checkpoint = answers["checkpoint"]
    args = ["analyze", checkpoint]
    if answers["how"] == "interactive":
        args.append("--interactive")
    elif answers["how"] == "text":
        args += ["--text", answers["text"]]
    elif answers["how"] == "files":
        args += _data_args(answers["files"])
    return Job([*args, *report_args(answers)], after=remember_checkpoint(state, checkpoint))


def generate(command: click.Command, state: MenuState) -> Job:
    form = Form()
    checkpoint_question(form, state)
    form.question("prompt", lambda: ask("Text to continue", check=required,
                                        default=form.earlier.get("prompt", ""),
                                        history_key="prompt"))
    form.question("bytes", lambda: ask("Bytes to generate",
                                       default=form.earlier.get("bytes", "256"),
                                       check=option_check(command, "max_bytes"),
                                       history_key="max-bytes"))
    answers = form.run()
    checkpoint = answers["checkpoint"]
    return Job(["generate", checkpoint, "--prompt", answers["prompt"],
                *(["--max-bytes", answers["bytes"]] if answers["bytes"] != "256" else [])],
               after=remember_checkpoint(state, checkpoint))


FORMS: dict[str, tuple[str, str, Callable[[click.Command, MenuState], Job]]] = {
    # menu entry: (command, description, form)
    "train": ("train", "train a model", train),
    "resume": ("train", "continue a run, e.g. to more steps", resume),
    "eval": ("eval", "bits per byte of a checkpoint, beside gzip/bz2/xz", evaluate),
    "compare": ("compare", "several checkpoints side by side", compare),
    "analyze": ("analyze", "entropy, patches and threshold sweep; or interactive", analyze),
    "generate": ("generate", "continue a text with bytes the model samples", generate),
}

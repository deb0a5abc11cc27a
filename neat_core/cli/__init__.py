"""The ``neat`` command line: a thin face over the Python API.

The application's face: core commands live in one module each over the Python API
(:mod:`neat_core.app`) and the services; plugins add theirs through the
``register_commands`` hook (``neat patch``, ``neat menu``, ``neat bench`` are built-in
plugins' commands). Nothing here imports torch.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
from typing import Any

import click

from .. import interrupts
from .._version import __version__
from ..distributed import DistEnv
from ..errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Interrupted,
    NeatError,
    out_of_memory,
)
from ..plugins import generation, lenient, report_plugin_failure, show_tracebacks
from ..registry import get_registry
from .logs import configure_logging


class NeatGroup(click.Group):
    """A group that adds plugin commands on first use and turns errors into exit codes."""

    _plugins_seen = -1  # the plugins.generation() whose commands were added
    _plugin_command_names: tuple[str, ...] = ()

    def _load_plugin_commands(self) -> None:
        with lenient():  # strict mode refuses to run commands, not to list them
            current = generation()
        if self._plugins_seen == current:
            return
        for name in self._plugin_command_names:  # plugins were reset since
            self.commands.pop(name, None)
        self._plugins_seen = current
        added = []
        with lenient():
            commands = get_registry().commands
        for name, entry in commands.items():
            if name in self.commands:
                report_plugin_failure(entry.plugin, f"its command '{name}' has the name of "
                                                    f"a core command", "adding commands")
                continue
            self.commands[name] = entry.factory
            added.append(name)
        self._plugin_command_names = tuple(added)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Errors raised while the command line is parsed (e.g. building a command's
        plugin flags in strict mode) get the same one-line report as the command's own."""
        try:
            return super().main(*args, **kwargs)
        except NeatError as error:
            _report(error.one_line(), "--debug" in sys.argv)
            sys.exit(error.exit_code)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        configure_logging()  # plugin warnings during parsing get the same format
        if parent is None:  # plugins load while the command line is parsed
            show_tracebacks("--debug" in args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:  # `neat --help | head -1`
            _quiet_stdout()
            raise click.exceptions.Exit(EXIT_OK) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        debug = ctx.params.get("debug", False)
        previous = {signum: signal.getsignal(signum) for signum in interrupts.SIGNALS}
        interrupts.install()
        try:
            result = super().invoke(ctx)
            interrupts.check()  # a Ctrl-C that was swallowed on the way still counts
            return result
        except NeatError as error:
            if isinstance(error, Interrupted) and error.signal == "SIGINT":
                interrupts.clear()  # the user's own Ctrl-C: a notice, not an error
                _notice(f"{error.message} ({error.hint})" if error.hint else error.message)
            else:
                _report(error.one_line(), debug)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            interrupts.clear()
            _interrupted(debug)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:  # e.g. `neat patch ... | head -1`: the reader has enough
            _quiet_stdout()
            ctx.exit(EXIT_OK)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            if interrupts.pending():  # a failure caused by a Ctrl-C that was swallowed
                interrupts.clear()
                _interrupted(debug)
                ctx.exit(EXIT_INTERRUPTED)
            memory = out_of_memory(error)
            if memory is not None:
                _report(memory.one_line(), debug)
                ctx.exit(memory.exit_code)
            _report(f"unexpected {type(error).__name__}: {error} (hint: rerun with --debug "
                    f"for the traceback, and please report it)", debug)
            ctx.exit(EXIT_FAILURE)
        finally:
            if threading.current_thread() is threading.main_thread():
                for signum, handler in previous.items():
                    if handler is not None:
                        signal.signal(signum, handler)


def _report(line: str, debug: bool) -> None:
    if debug and sys.exc_info()[0] is not None:
        traceback.print_exc()
    click.echo(f"error: {line}", err=True)


def _interrupted(debug: bool) -> None:
    """The user's own Ctrl-C is a notice; a signal from elsewhere (SIGTERM) an error."""
    if interrupts.received() == "SIGINT":
        _notice(interrupts.describe())
    else:
        _report(interrupts.describe(), debug)


def _notice(line: str) -> None:
    """What the user asked for happened (a Ctrl-C stopped the command): said plainly."""
    click.echo(" ".join(line.split()), err=True)


def _quiet_stdout() -> None:
    """Send what is still to be written to stdout nowhere: its reader is gone, and a
    closed pipe ends the command quietly (exit 0), as ``head`` expects."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (stdout replaced, e.g. in tests)
        pass


@click.group(cls=NeatGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neat")
@click.option("-v", "--verbose", count=True, help="Debug log output.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also write a debug log here.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool, log_file: str | None) -> None:
    """NEAT: train, evaluate and analyse byte-level entropy models (BLT) and their patches."""
    configure_logging(verbose=verbose, quiet=quiet, log_file=log_file)
    ctx.obj = {"quiet": quiet, "debug": debug}


# "module:attribute" of each core command, relative to this package
CORE_COMMANDS = [
    "config_cmd:config",
    "plugins_cmd:plugins",
    "backends_cmd:backends",
    "train_cmd:train_command",
    "eval_cmd:eval_command",
    "eval_cmd:compare_command",
    "generate_cmd:generate_command",
    "analyze_cmd:analyze_command",
    "data_cmd:data",
]


def _add_core_commands() -> None:
    from importlib import import_module

    for spec in CORE_COMMANDS:
        module, attribute = spec.split(":")
        cli.add_command(getattr(import_module(f"{__name__}.{module}"), attribute))


_add_core_commands()


def main() -> None:
    if not DistEnv.from_environ().distributed:
        try:
            cli(prog_name="neat")
        finally:
            _flush_stdout()
        return
    try:
        cli(prog_name="neat")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    # A torchrun worker leaves without running C++ static destructors: after a clean run
    # the process group's store client could still abort it at exit ("terminate called
    # without an active exception"), turning a finished run into a failed job.
    logging.shutdown()
    _flush_stdout()
    sys.stderr.flush()
    os._exit(code)


def _flush_stdout() -> None:
    """Flush stdout at exit, quietly when its reader has gone (no "Exception ignored")."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()


__all__ = ["cli", "main"]

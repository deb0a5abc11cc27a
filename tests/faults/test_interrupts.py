"""Ctrl-C during start-up (audit defect 11): whatever it interrupts, the command ends as
interrupted (exit 130), never with an unrelated error or by carrying on."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import click
import pytest

from neat_core import hookimpl
from neat_core.testing import plugin_registered

from ..train_utils import set_args, subprocess_env, tiny_settings

# Sends SIGINT at the first line of numpy that runs while torch is being imported: torch's
# C start-up imports numpy there and swallows the KeyboardInterrupt it raises.
INTERRUPT_INSIDE_TORCH_IMPORT = textwrap.dedent("""
    import os, signal, sys

    def profile(frame, event, arg):
        module = frame.f_globals.get("__name__", "")
        if event == "call" and module.startswith("numpy") and "torch" in sys.modules:
            sys.setprofile(None)
            sys.stderr.write("SIGINT inside torch's import of numpy\\n")
            os.kill(os.getpid(), signal.SIGINT)

    sys.setprofile(profile)
    from neat_core.cli import main
    sys.argv = ["neat", *sys.argv[1:]]
    main()
""")


@pytest.mark.slow
def test_ctrl_c_while_torch_imports_numpy_exits_130(tmp_path):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache")
    result = subprocess.run([sys.executable, "-c", INTERRUPT_INSIDE_TORCH_IMPORT, "train",
                             *set_args(settings)], env=subprocess_env(), capture_output=True,
                            text=True, timeout=300)
    assert "SIGINT inside torch's import of numpy" in result.stderr
    assert result.returncode == 130, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == "interrupted"
    assert not (tmp_path / "run" / "checkpoints").exists() or \
        not any((tmp_path / "run" / "checkpoints").iterdir())


class SwallowingPlugin:
    """A command whose library code catches the KeyboardInterrupt, then fails."""

    @hookimpl
    def register_commands(self, cli):
        @cli.command("swallow")
        @click.option("--then-fail", is_flag=True)
        def swallow(then_fail: bool) -> None:
            try:
                signal.raise_signal(signal.SIGINT)
            except BaseException:
                pass
            if then_fail:
                raise AttributeError("module 'numpy' has no attribute 'intp'")
            click.echo("carried on")


@pytest.mark.parametrize("args", [[], ["--then-fail"]])
def test_a_swallowed_ctrl_c_still_ends_the_command(run_cli, args):
    with plugin_registered(SwallowingPlugin(), "swallowing"):
        result = run_cli("swallow", *args)
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == "interrupted"


def test_the_interrupt_is_forgotten_once_handled(run_cli):
    with plugin_registered(SwallowingPlugin(), "swallowing"):
        assert run_cli("swallow").exit_code == 130
    assert run_cli("config", "show").exit_code == 0

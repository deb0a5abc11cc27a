"""SIGTERM behaves like Ctrl-C everywhere (issue 23, item 11): during ingest and before
the first training step too, the command cleans up (no temporary cache files, the run
lock emptied and released) and exits 130 with a message, never silently with 143.

The signal is sent when the child says, through a pipe, that it has reached the place
under test; the child then waits on a pipe that is never written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from neat_core.training.run_lock import LOCK_FILE

from ..train_utils import set_args, subprocess_env, tiny_settings

# argv: EVENT_FD WAIT_FD PLACE neat-arguments...; PLACE is "ingest" or "start-up"
GATED = textwrap.dedent("""
    import os, sys
    from neat_core import hookimpl
    from neat_core.api import DataUnit, SourceDocument
    from neat_core.plugins import register_plugin

    event, wait, place = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

    def reached():
        os.write(event, b"reached\\n")
        os.read(wait, 1)  # never written: only a signal ends the wait

    def chunks():
        yield b"gated bytes " * 200_000  # 2.4 MB: the cache's temporary files exist
        reached()

    class Gate:
        def accepts(self, path):
            return False

        def units(self, target, seed):
            return [DataUnit("gate", "gate", ["gate"], 1,
                             lambda tally: iter([SourceDocument("gate", chunks())]))]

    class Plugin:
        @hookimpl
        def register_data_sources(self, register):
            register("gate", lambda config: Gate(), description="waits inside ingest")

        @hookimpl
        def register_training_callbacks(self, register):
            def factory(config, run_dir):
                if place == "start-up":
                    reached()
                return None
            register("gate", factory, description="waits before the first step")

    register_plugin(Plugin(), "gate")
    from neat_core.cli import main
    sys.argv = ["neat", *sys.argv[4:]]
    main()
""")


@pytest.mark.parametrize("place", ["ingest", "start-up"])
def test_sigterm_cleans_up_and_exits_130(tmp_path, place):
    run, cache = tmp_path / "run", tmp_path / "cache"
    settings = tiny_settings(run, cache)
    if place == "ingest":
        settings["data.train"] = ["gate:x"]
    event_read, event_write = os.pipe()
    wait_read, wait_write = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", GATED, str(event_write), str(wait_read), place, "train",
         *set_args(settings)], pass_fds=(event_write, wait_read), env=subprocess_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(event_write)
    os.close(wait_read)
    try:
        with os.fdopen(event_read) as events:
            assert events.readline() == "reached\n", child.communicate()
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=120)
    finally:
        os.close(wait_write)
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "interrupted" in last and "SIGTERM" in last, last
    assert (run / LOCK_FILE).read_text() == ""  # released as a clean exit leaves it
    assert not [p.name for p in Path(cache).glob(".*")] if cache.exists() else True
    assert not (run / "checkpoints").exists() or not any((run / "checkpoints").iterdir())

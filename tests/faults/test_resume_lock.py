"""`--resume` chooses its checkpoint under the run lock (issue 23, item 1).

The race, made to happen on events: run A stops inside its save of step 2 (its
on_checkpoint callback) while holding the lock; resume B starts and pauses just before
it takes the lock; A finishes (step 4) and exits; then B goes on. B chose step 2 before
the lock and deleted A's step 4 ("removing newer checkpoints"); now it reads the
directory only once it holds the lock, and resumes from step 4."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from neat_core.training import read_metrics

from ..train_utils import losses, set_args, subprocess_env, tiny_settings

# argv: ROLE EVENT_FD GO_FD neat-arguments...; ROLE "first" pauses in the save of step 2,
# "resume" pauses before taking the run lock.
PAUSING = textwrap.dedent("""
    import os, sys
    from neat_core import hookimpl
    from neat_core.plugins import register_plugin
    from neat_core.training import run_lock

    role, event, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    def pause(what):
        os.write(event, what.encode() + b"\\n")
        assert os.read(go, 1) == b"g"

    class Pause:
        def on_checkpoint(self, path, record):
            if role == "first" and record["step"] == 2:
                pause("first saved step 2")

    class Plugin:
        @hookimpl
        def register_training_callbacks(self, register):
            register("pause", lambda config, run_dir: Pause(), description="pauses")

    acquire = run_lock.RunLock.acquire

    def paused_acquire(self):
        if role == "resume":
            pause("resume at the lock")
        acquire(self)

    run_lock.RunLock.acquire = paused_acquire
    register_plugin(Plugin(), "pause")
    from neat_core.cli import main
    sys.argv = ["neat", *sys.argv[4:]]
    main()
""")


class Paused:
    """A child that reports each pause on a pipe and waits for ``go()``."""

    def __init__(self, role: str, args: list[str]) -> None:
        event_read, event_write = os.pipe()
        go_read, self._go = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", PAUSING, role, str(event_write), str(go_read), *args],
            pass_fds=(event_write, go_read), env=subprocess_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(event_write)
        os.close(go_read)
        self.events = os.fdopen(event_read)

    def reached(self) -> str:
        return self.events.readline().strip()

    def go(self) -> None:
        os.write(self._go, b"g")

    def finish(self) -> tuple[int, str]:
        _, stderr = self.process.communicate(timeout=300)
        self.events.close()
        os.close(self._go)
        return self.process.returncode, stderr


def test_a_resume_started_while_a_run_finishes_deletes_nothing(tmp_path):
    run = tmp_path / "run"
    settings = tiny_settings(run, tmp_path / "cache", training__keep_last=5)
    first = Paused("first", ["train", *set_args(settings)])
    resume = None
    try:
        assert first.reached() == "first saved step 2", first.process.communicate()
        resume = Paused("resume", ["train", "--resume", "--output-dir", str(run),
                                   "--max-steps", "6"])
        assert resume.reached() == "resume at the lock", resume.process.communicate()
        first.go()
        code, stderr = first.finish()
        assert code == 0, stderr
        assert (run / "checkpoints/step-0000004").is_dir()
        resume.go()
        code, stderr = resume.finish()
    finally:
        for child in (first, resume):
            if child is not None and child.process.poll() is None:
                child.process.kill()
    assert code == 0, stderr
    assert "removing newer checkpoints" not in stderr
    assert f"resuming from {run / 'checkpoints/step-0000004'} at step 4" in stderr
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == \
        ["best", "step-0000002", "step-0000004", "step-0000006"]
    steps = [r["step"] for r in read_metrics(run) if r["kind"] == "train"]
    assert steps == [1, 2, 3, 4, 5, 6] and sorted(losses(run)) == steps

"""A run's output directory: resolved config, metrics, and rotating checkpoints.

Layout::

    <output_dir>/config.json                  the resolved config of the run
    <output_dir>/metrics.jsonl                see :mod:`neat_core.training.metrics`
    <output_dir>/checkpoints/step-0000200/    one checkpoint per save
    <output_dir>/checkpoints/best -> step-... relative symlink to the best by eval loss

The best checkpoint is a link rather than a copy: it costs nothing, and the step it
points to is exempt from rotation, so "keep the last N plus the best" never deletes it.

A checkpoint is deleted by renaming it to a hidden name first, so a kill in the middle
never leaves a half-deleted ``step-N`` that looks like a checkpoint; what such kills
leave behind (hidden temporary and deleted directories) is removed when the next run
takes the directory's lock (:meth:`RunDirectory.remove_leftovers`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from pathlib import Path

from ..checkpoint import CONFIG_FILE as CHECKPOINT_CONFIG
from ..checkpoint import META_FILE, MODEL_FILE
from ..config import NeatConfig, file_data
from ..files import atomic_write, check_writable_dir, is_leftover
from .run_lock import RunLock

log = logging.getLogger("neat.train")

CHECKPOINTS = "checkpoints"
BEST = "best"
CONFIG_FILE = "config.json"
_STEP_DIR = re.compile(r"^step-(\d+)$")


def step_dir_name(step: int) -> str:
    return f"step-{step:07d}"


class RunDirectory:
    """Paths and housekeeping of one run's output directory."""

    def __init__(self, output_dir: str | Path) -> None:
        self.path = Path(output_dir).expanduser()
        self.checkpoints_dir = self.path / CHECKPOINTS

    def check_writable(self) -> None:
        """Create the directory, or raise a UsageError saying why it cannot be used."""
        check_writable_dir(self.path, "output dir")
        check_writable_dir(self.checkpoints_dir, "checkpoint directory")

    def lock(self) -> RunLock:
        """The lock that makes this process the directory's one writer (a context
        manager; entering it raises a UsageError if another run holds it)."""
        return RunLock(self.path)

    def write_config(self, config: NeatConfig) -> None:
        atomic_write(self.path / CONFIG_FILE, json.dumps(file_data(config), indent=2) + "\n")

    def remove_leftovers(self) -> None:
        """Delete what killed writers left: temporary files and directories, checkpoints
        half deleted. Only the lock holder may call this."""
        for directory in (self.path, self.checkpoints_dir):
            if not directory.is_dir():
                continue
            for child in directory.iterdir():
                if is_leftover(child.name):
                    log.debug("removing %s, left by an interrupted run", child)
                    _remove(child)

    def step_path(self, step: int) -> Path:
        return self.checkpoints_dir / step_dir_name(step)

    def checkpoints(self) -> list[tuple[int, Path]]:
        """Checkpoint directories (step, path), oldest first; temporary dirs are skipped."""
        if not self.checkpoints_dir.is_dir():
            return []
        found = []
        for child in self.checkpoints_dir.iterdir():
            match = _STEP_DIR.match(child.name)
            if match and child.is_dir() and not child.is_symlink():
                found.append((int(match.group(1)), child))
        return sorted(found)

    def latest(self) -> Path | None:
        """The newest complete checkpoint; incomplete ones (damaged, or left half deleted
        by an older NEAT) are passed over with a warning."""
        for _, path in reversed(self.checkpoints()):
            missing = [name for name in (META_FILE, MODEL_FILE, CHECKPOINT_CONFIG)
                       if not (path / name).is_file()]
            if not missing:
                return path
            log.warning("skipping incomplete checkpoint %s (%s missing)", path,
                        ", ".join(missing))
        return None

    def best(self) -> Path | None:
        link = self.checkpoints_dir / BEST
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def mark_best(self, step: int) -> None:
        """Point ``checkpoints/best`` at ``step``'s directory (atomically)."""
        link = self.checkpoints_dir / BEST
        temporary = self.checkpoints_dir / f".{BEST}.tmp"
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        os.symlink(step_dir_name(step), temporary)
        os.replace(temporary, link)

    def rotate(self, keep_last: int) -> None:
        """Delete checkpoints other than the last ``keep_last`` and the best."""
        best = self.best()
        found = self.checkpoints()
        for _, path in found[:-keep_last]:
            if best is None or path.resolve() != best:
                _remove(path)

    def drop_after(self, step: int) -> None:
        """Remove checkpoints newer than ``step``: resuming from it rewrites what followed."""
        newer = [path for s, path in self.checkpoints() if s > step]
        if newer:
            log.warning("resuming from step %d: removing newer checkpoints %s", step,
                        ", ".join(p.name for p in newer))
        for path in newer:
            _remove(path)
        link = self.checkpoints_dir / BEST
        if link.is_symlink() and not link.exists():
            link.unlink()


def _remove(path: Path) -> None:
    """Delete a file or directory; a directory is first renamed to a hidden name, so a
    kill midway leaves a leftover rather than a damaged checkpoint."""
    if path.is_dir() and not path.is_symlink():
        if not is_leftover(path.name):
            hidden = path.parent / f".{path.name}.tmp-deleted-{secrets.token_hex(4)}"
            os.rename(path, hidden)
            path = hidden
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

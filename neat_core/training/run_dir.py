"""A run's output directory: resolved config, metrics, and rotating checkpoints.

Layout::

    <output_dir>/config.json                  the resolved config of the run
    <output_dir>/metrics.jsonl                see :mod:`neat_core.training.metrics`
    <output_dir>/checkpoints/step-0000200/    one checkpoint per save
    <output_dir>/checkpoints/best -> step-... relative symlink to the best by eval loss

The best checkpoint is a link rather than a copy: it costs nothing, and the step it
points to is exempt from rotation, so "keep the last N plus the best" never deletes it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..config import NeatConfig, to_dict
from ..errors import UsageError

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
        hint = "choose another --output-dir"
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"output dir {self.path} is a file, not a directory", hint=hint)
        try:
            self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path):
                pass
        except OSError as error:
            raise UsageError(f"output dir {self.path} is not writable: "
                             f"{error.strerror or error}", hint=hint) from None

    def write_config(self, config: NeatConfig) -> None:
        text = json.dumps(to_dict(config), indent=2) + "\n"
        (self.path / CONFIG_FILE).write_text(text, encoding="utf-8")

    def step_path(self, step: int) -> Path:
        return self.checkpoints_dir / step_dir_name(step)

    def checkpoints(self) -> list[tuple[int, Path]]:
        """Completed checkpoints (step, path), oldest first; temporary dirs are skipped."""
        if not self.checkpoints_dir.is_dir():
            return []
        found = []
        for child in self.checkpoints_dir.iterdir():
            match = _STEP_DIR.match(child.name)
            if match and child.is_dir() and not child.is_symlink():
                found.append((int(match.group(1)), child))
        return sorted(found)

    def latest(self) -> Path | None:
        found = self.checkpoints()
        return found[-1][1] if found else None

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
                shutil.rmtree(path, ignore_errors=True)

    def drop_after(self, step: int) -> None:
        """Remove checkpoints newer than ``step``: resuming from it rewrites what followed."""
        newer = [path for s, path in self.checkpoints() if s > step]
        if newer:
            log.warning("resuming from step %d: removing newer checkpoints %s", step,
                        ", ".join(p.name for p in newer))
        for path in newer:
            shutil.rmtree(path, ignore_errors=True)
        link = self.checkpoints_dir / BEST
        if link.is_symlink() and not link.exists():
            link.unlink()

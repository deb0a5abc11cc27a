"""The runs of a study and where they live (no torch).

A study directory holds ``study.json`` (the shared settings, :class:`~.arms.Shapes`),
``data/`` (the training bytes and the held-out bytes, cut once), ``entropy/`` (the
entropy model's run), ``runs/ARM-bBUDGET-sSEED/`` (one ``neat train`` run each) and
``results/`` (one JSON per finished and scored run). Running the command again skips
what is done, resumes a run that was cut off from its last checkpoint, and adds the
runs of new arms, budgets or seeds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator, Sequence

import attrs

from neat_core.api import UsageError, atomic_write

from .arms import Arm, Shapes

CHECKPOINTS_PER_RUN = 4  # a cut-off run resumes from at most a quarter of it back


@attrs.frozen
class Run:
    arm: Arm
    budget: float  # training TFLOP
    seed: int

    @property
    def key(self) -> str:
        return f"{self.arm.name}-b{self.budget:g}-s{self.seed}"


def runs(arms: Sequence[Arm], budgets: Sequence[float], seeds: Sequence[int]) -> list[Run]:
    """Every arm at every budget for every seed; seeds and arms alternate, so a study
    cut off early has comparable runs."""
    return [Run(arm, budget, seed) for budget in sorted(budgets) for seed in seeds
            for arm in arms]


def steps_for(budget: float, training_flops_per_byte: float, shapes: Shapes) -> int:
    """Optimizer steps that spend ``budget`` training TFLOP."""
    per_step = training_flops_per_byte * shapes.batch_size * shapes.block_size
    return max(1, round(budget * 1e12 / per_step))


class StudyDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.settings = path / "study.json"
        self.data = path / "data"
        self.entropy = path / "entropy"
        self.runs = path / "runs"
        self.results = path / "results"

    def open(self, shapes: Shapes) -> None:
        """Create the directory, or check that it holds a study with these settings."""
        wanted = attrs.asdict(shapes)
        wanted["hash_ngrams"] = list(shapes.hash_ngrams)
        if self.settings.exists():
            saved = json.loads(self.settings.read_text(encoding="utf-8"))
            changed = sorted(key for key in wanted.keys() | saved.keys()
                             if saved.get(key) != wanted.get(key))
            if changed:
                raise UsageError(f"{self.path} holds a study with other settings: "
                                 f"{', '.join(changed)}",
                                 hint="give the same settings to continue it, or another "
                                      "--out for a new study")
            return
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write(self.settings, json.dumps(wanted, indent=2).encode())

    def run_dir(self, run: Run) -> Path:
        return self.runs / run.key

    def result_path(self, run: Run) -> Path:
        return self.results / f"{run.key}.json"

    def result(self, run: Run) -> dict[str, Any] | None:
        path = self.result_path(run)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def save_result(self, run: Run, result: dict[str, Any]) -> None:
        self.results.mkdir(parents=True, exist_ok=True)
        atomic_write(self.result_path(run), json.dumps(result, indent=2).encode())

    def all_results(self) -> Iterator[dict[str, Any]]:
        for path in sorted(self.results.glob("*.json")):
            yield json.loads(path.read_text(encoding="utf-8"))


def save_steps(steps: int) -> int:
    return max(1, math.ceil(steps / CHECKPOINTS_PER_RUN))

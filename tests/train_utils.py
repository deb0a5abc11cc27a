"""Shared set-up of the training tests: a tiny model on a small real corpus."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from neat_core.config import Override, load_config
from neat_core.training import read_metrics

# The Python files of the json package: ~50 KB of real text on every machine.
CORPUS = str(Path(json.__file__).parent / "*.py")
NEAT = str(Path(sys.executable).parent / "neat")

TINY = {
    "model.hidden_size": 16, "model.num_layers": 1, "model.num_heads": 2,
    "model.block_size": 16, "training.batch_size": 4, "training.max_steps": 4,
    "training.warmup_steps": 1, "training.log_steps": 1, "training.eval_steps": 2,
    "training.save_steps": 2, "training.eval_batches": 2, "backend.name": "cpu",
    "backend.cpu.threads": 1, "backend.mixed_precision": "off", "data.train": [CORPUS],
    "run.progress": False,
}


def tiny_settings(output_dir: Path, cache_dir: Path, **settings: Any) -> dict[str, Any]:
    """TINY with an output and cache dir; keyword names use __ for dots."""
    values = {**TINY, "run.output_dir": str(output_dir), "data.cache_dir": str(cache_dir)}
    values.update({key.replace("__", "."): value for key, value in settings.items()})
    return values


def tiny_config(output_dir: Path, cache_dir: Path, **settings: Any):
    values = tiny_settings(output_dir, cache_dir, **settings)
    return load_config(overrides=[Override(k, v) for k, v in values.items()]).config


def set_args(values: dict[str, Any]) -> list[str]:
    """``--set key=value`` arguments for the CLI."""
    args = []
    for key, value in values.items():
        text = json.dumps(value) if isinstance(value, (list, bool)) or value is None else value
        args += ["--set", f"{key}={text}"]
    return args


def losses(run_dir: Path) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in read_metrics(run_dir) if r["kind"] == "train"}


def subprocess_env() -> dict[str, str]:
    """Environment for `neat` subprocesses: quiet torch threads, no inherited plugin env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEAT_PLUGINS_")}
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished tiny run (checkpoints at steps 2 and 4) to resume from (import this
    fixture into a test module to use it)."""
    from click.testing import CliRunner

    from neat_core.cli import cli

    root = tmp_path_factory.mktemp("finished")
    settings = tiny_settings(root / "run", root / "cache")
    result = CliRunner().invoke(cli, ["train", *set_args(settings)])
    assert result.exit_code == 0, result.output
    return root / "run", settings


def copy_run(finished, tmp_path: Path) -> Path:
    run, _ = finished
    shutil.copytree(run, tmp_path / "run", symlinks=True)
    return tmp_path / "run"


def error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""

"""benchmarks/gpu.sh: a clear stop without a GPU, and the whole script run on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neat_core.settings.schema import SCHEMA_VERSION

from .train_utils import CORPUS, TINY

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "gpu.sh"


def run_script(out: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1", **env}
    return subprocess.run(["bash", str(SCRIPT), str(out)], capture_output=True, text=True,
                          env=environment, timeout=900)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_without_a_gpu_it_stops_at_once_and_says_why(tmp_path):
    result = run_script(tmp_path / "out")
    assert result.returncode == 2
    assert "no CUDA GPU is usable here" in result.stderr and "torch" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_script_runs_end_to_end_on_the_cpu_and_prints_one_table(tmp_path):
    settings: dict = {"schema_version": SCHEMA_VERSION}
    for key, value in {**TINY, "data.train": [CORPUS],
                       "data.cache_dir": str(tmp_path / "cache")}.items():
        *sections, name = key.split(".")
        node = settings
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(settings))
    result = run_script(tmp_path / "out", BACKEND="cpu", CONFIG=str(config), STEPS="2",
                        E2E_STEPS="4", MEGABYTES="0.02")
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout.split("\n\n")[-1]
    for row in ("train: NEAT / plain", "train, compiled: NEAT / plain",
                "scoring: entropies+patching (default: cache)",
                "end to end: held-out bits per byte"):
        assert row in table, table

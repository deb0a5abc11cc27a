"""The benchmark scripts run end to end at a tiny budget (their figures are not checked:
they measure, they do not assert)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .train_utils import CORPUS, subprocess_env

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_blt_equal_flops_pairs_the_arms_and_writes_its_table(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "benchmarks" / "blt_equal_flops.py"),
               "--out", str(out), "--data", CORPUS, "--cache-dir", str(tmp_path / "cache"),
               "--max-bytes", "40000", "--steps", "4", "--seeds", "0", "1",
               "--entropy-steps", "4", "--eval-batches", "1", "--timing-rounds", "1",
               "--batch-size", "4", "--block-size", "64", "--local-size", "32",
               "--latent-size", "64", "--byte-hidden", "32", "--byte-layers", "2"]
    result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(),
                            timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "results.json").read_text())
    flops = {arm: entry["flops"]["forward"] for arm, entry in report["arms"].items()}
    assert set(flops) == {"byte", "blt-entropy", "blt-static"}
    # the byte model's width is solved for the static BLT's FLOPs (the entropy BLT's
    # depend on the patches its few training steps measured; the script warns if > 5 %)
    assert abs(flops["blt-static"] / flops["byte"] - 1) <= 0.05
    assert all(len(entry["curves"]) == 2 for entry in report["arms"].values())
    assert "| blt-entropy |" in (out / "results.md").read_text()
    assert "Patching inside a blt-entropy training step" in result.stdout

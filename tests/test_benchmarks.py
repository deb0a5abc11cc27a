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


def run_benchmark(name: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(REPO / "benchmarks" / name), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(),
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return result


def test_bench_blt_train_measures_both_ratios_in_one_run(tmp_path):
    out = tmp_path / "out"
    result = run_benchmark(
        "bench_blt_train.py", "--out", str(out), "--data", CORPUS, "--cache-dir",
        str(tmp_path / "cache"), "--max-bytes", "40000", "--block-size", "32",
        "--batch-size", "4", "--local-size", "16", "--latent-size", "32",
        "--latent-layers", "1", "--entropy-hidden", "16", "--entropy-block", "16",
        "--entropy-steps", "4", "--rounds", "1", "--steps", "1", "--buckets", "1")
    report = json.loads((out / "results.json").read_text())
    assert set(report["flops"]) == {"static", "entropy"}
    assert all(entry["ratio"] > 0.5 for entry in report["flops"].values())
    assert set(report["speed"]) == {"static", "entropy", "entropy, buckets 1"}
    assert "x static" in result.stdout


def test_bench_blt_generate_times_cache_recompute_and_byte_model(tmp_path):
    out = tmp_path / "generate.json"
    result = run_benchmark(
        "bench_blt_generate.py", "--block-size", "32", "--local-size", "16",
        "--latent-size", "32", "--latent-layers", "1", "--byte-hidden", "16",
        "--prompt-bytes", "40", "--bytes", "4", "--rounds", "1", "--out", str(out))
    report = json.loads(out.read_text())
    assert set(report["bytes_per_second"]) == {"blt, cached", "blt, full recompute",
                                               "byte model"}
    assert "cached / full recompute" in result.stdout

"""End to end with the real blt-entropy model: `neat train`, then `neat eval` and
`neat analyze` on the run directory (its evaluation split), and one HTML page."""

from __future__ import annotations

import json
import math

import pytest

from .test_reports import decoded_pngs, parse_page
from .train_utils import set_args, tiny_settings


@pytest.mark.slow
def test_train_then_eval_and_analyze_the_run(run_cli, tmp_path):
    run_dir, reports = tmp_path / "run", tmp_path / "reports"
    settings = tiny_settings(run_dir, tmp_path / "cache", training__max_steps=6)
    trained = run_cli("train", *set_args(settings))
    assert trained.exit_code == 0, trained.stderr

    evaluated = run_cli("eval", str(run_dir), "--report", "text,json", "--out", str(reports))
    assert evaluated.exit_code == 0, evaluated.stderr
    results = json.loads((reports / "eval.json").read_text())
    assert results["data"]["origin"] == "eval-split" and results["data"]["documents"] >= 1
    assert results["checkpoint"]["model"] == "blt-entropy"
    overall = results["results"]["bits-per-byte"]["overall"]
    assert overall["bytes"] == results["data"]["bytes"] - results["data"]["documents"]
    assert overall["bits_per_byte"] == overall["loss"] / math.log(2)
    assert 0 < overall["bits_per_byte"] < 9  # 6 steps: near uniform (8 bits), finite
    assert "bits/byte" in evaluated.stdout

    analysed = run_cli("analyze", str(run_dir), "--report", "json,html", "--out", str(reports),
                       "--target-patch-size", "4")
    assert analysed.exit_code == 0, analysed.stderr
    analysis = json.loads((reports / "analysis.json").read_text())
    patches = analysis["results"]["patches"]
    assert patches["patching"]["calibrated"] is True
    assert sum(c * s for s, c in zip(patches["size_histogram"]["sizes"],
                                     patches["size_histogram"]["counts"])) \
        == analysis["data"]["bytes"]
    assert len(decoded_pngs(parse_page(reports / "analysis.html").images)) == 4

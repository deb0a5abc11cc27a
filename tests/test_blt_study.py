"""`neat study blt` end to end at a tiny budget: arms matched in training FLOPs on the same
bytes, one held-out set, paired differences, the reports; running it again resumes a
run that was cut off and retrains nothing that finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neat_plugins.blt.study.arms import Shapes, parse_arm
from neat_plugins.blt.study.plan import Run, StudyDir
from neat_plugins.blt.study.report import pareto

from .train_utils import CORPUS

pytestmark = pytest.mark.slow

TINY = ["--block-size", "32", "--batch-size", "4", "--byte-hidden", "16", "--byte-layers",
        "1", "--local-size", "16", "--latent-size", "32", "--latent-layers", "1",
        "--local-window", "none", "--entropy-hidden", "16", "--entropy-block", "16",
        "--entropy-steps", "4", "--eval-windows", "8", "--hash-ngrams", "3,4",
        "--hash-buckets", "64", "--threads", "1", "--data", CORPUS]
ARMS = "byte,entropy-3"


def shapes() -> Shapes:
    return Shapes(data=CORPUS, block_size=32, batch_size=4, byte_hidden=16, byte_layers=1,
                  local_size=16, latent_size=32, latent_layers=1, local_window=None,
                  entropy_hidden=16, entropy_block=16, entropy_steps=4, eval_windows=8,
                  hash_ngrams=(3, 4), hash_buckets=64)


def test_a_study_trains_scores_reports_and_resumes(run_cli, tmp_path):
    out = tmp_path / "study"
    args = ["-q", "study", "blt", "--out", str(out), "--arms", ARMS, "--budgets", "0.0002",
            "--seeds", "0,1", "--cache-dir", str(tmp_path / "cache"), *TINY]
    first = run_cli(*args)
    assert first.exit_code == 0, first.output
    report = json.loads((out / "report.json").read_text())
    runs = {run["run"]: run for run in report["runs"]}
    assert len(runs) == 4
    # equal training FLOPs: the budget buys each arm as many steps as its FLOPs allow
    for run in runs.values():
        assert run["training_tflops"] == pytest.approx(0.0002, rel=0.3)
    assert len({run["training_bytes"] for run in runs.values()}) == 2  # one per arm
    assert runs["entropy-3-b0.0002-s0"]["threshold"] is not None  # calibrated
    rows = {row["arm"]: row for row in report["summary"]["rows"]}
    assert rows["entropy-3"]["paired_seeds"] == 2
    assert rows["entropy-3"]["paired_vs_byte"] == pytest.approx(
        sum(runs[f"entropy-3-b0.0002-s{s}"]["heldout_bpb"]
            - runs[f"byte-b0.0002-s{s}"]["heldout_bpb"] for s in (0, 1)) / 2)
    assert any(row["pareto"] for row in rows.values())
    assert "| entropy-3 | 0.0002 |" in (out / "report.md").read_text()
    assert "data:image/png;base64" in (out / "report.html").read_text()

    # a run cut off half way: the command resumes it; finished runs stay as they were
    directory = StudyDir(out)
    cut = Run(parse_arm("entropy-3"), 0.0002, 1)
    steps = runs[cut.key]["steps"]
    directory.result_path(cut).unlink()
    _train_half(directory, cut, steps, tmp_path / "cache")
    kept = {path: path.stat().st_mtime_ns for path in directory.results.glob("*.json")}
    again = run_cli(*args)
    assert again.exit_code == 0, again.output
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())
    trained = json.loads((directory.run_dir(cut) / "train.json").read_text())
    assert trained["step"] == steps and trained["elapsed_s"] > trained["session_s"]
    assert directory.result(cut)["steps"] == steps

    # another shape in the same directory is refused
    other = run_cli(*[arg if arg != "16" else "24" for arg in args])
    assert other.exit_code == 2 and "other settings" in other.output


def _train_half(directory: StudyDir, run: Run, steps: int, cache: Path) -> None:
    import shutil

    from neat_plugins.blt.study.runner import Study

    shutil.rmtree(directory.run_dir(run))
    study = Study(directory, shapes(), backend="cpu", threads=1, cache_dir=str(cache),
                  progress=False)
    study._train(study.settings({**run.arm.model_settings(study.shapes,
                                                          study.entropy_checkpoint()),
                                 **study.training(directory.run_dir(run), run.seed,
                                                  steps // 2)}))


def test_the_pareto_frontier_keeps_the_arms_nothing_beats():
    rows = [{"arm": "a", "inference_flops_per_byte": 1.0, "heldout_bpb": 2.0},
            {"arm": "b", "inference_flops_per_byte": 0.5, "heldout_bpb": 2.5},
            {"arm": "c", "inference_flops_per_byte": 0.7, "heldout_bpb": 2.6},
            {"arm": "d", "inference_flops_per_byte": 2.0, "heldout_bpb": 2.0}]
    assert pareto(rows) == {"a", "b"}


def test_arm_names_are_checked(run_cli, tmp_path):
    result = run_cli("study", "blt", "--out", str(tmp_path), "--arms", "byte,static-x")
    assert result.exit_code == 2 and "unknown arm 'static-x'" in result.output

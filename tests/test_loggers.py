"""The logger plugins: TensorBoard (read back with tensorboard's own reader) and CSV,
each off until enabled, and a clear error when a chosen logger's package is missing."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from neat_core.training import read_metrics

from .blt_util import one_torch_thread  # noqa: F401 - autouse fixture
from .train_utils import set_args, tiny_settings


def train(run_cli, tmp_path: Path, *extra: str, **settings):
    values = tiny_settings(tmp_path / "run", tmp_path / "cache", **settings)
    return run_cli("train", *set_args(values), *extra)


def scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(log_dir))
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}


def test_tensorboard_scalars_match_metrics_and_a_resume_does_not_repeat_steps(
        tmp_path, run_cli):
    pytest.importorskip("tensorboard")
    result = train(run_cli, tmp_path, callbacks__tensorboard__enabled=True,
                   training__max_steps=2)
    assert result.exit_code == 0, result.stderr
    resumed = train(run_cli, tmp_path, "--resume", str(tmp_path / "run"),
                    callbacks__tensorboard__enabled=True)
    assert resumed.exit_code == 0, resumed.stderr
    found = scalars(tmp_path / "run" / "tensorboard")
    records = read_metrics(tmp_path / "run")
    for kind, keys in (("train", ("loss", "bpb", "lr", "grad_norm", "bytes_per_second")),
                       ("eval", ("eval_loss", "eval_bpb", "eval_perplexity"))):
        rows = [r for r in records if r["kind"] == kind]
        for key in keys:
            tag = f"{kind}/{key.removeprefix('eval_')}"
            assert [step for step, _ in found[tag]] == [r["step"] for r in rows], tag
            assert [value for _, value in found[tag]] == pytest.approx(
                [r[key] for r in rows], rel=1e-6), tag


def test_loggers_are_off_unless_enabled(tmp_path, run_cli):
    assert train(run_cli, tmp_path).exit_code == 0
    assert not (tmp_path / "run" / "tensorboard").exists()
    assert not (tmp_path / "run" / "train.csv").exists()


def test_a_missing_tensorboard_is_an_error_naming_the_extra_before_any_work(
        tmp_path, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    result = train(run_cli, tmp_path, callbacks__tensorboard__enabled=True)
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: callbacks.tensorboard is enabled but the tensorboard "
                            "package is not installed (hint: pip install "
                            "'neat-entropy[tensorboard]'")
    assert not (tmp_path / "cache").exists()  # stopped before the data was prepared


def test_csv_rows_are_the_metrics_records_and_a_resume_continues_them(tmp_path, run_cli):
    assert train(run_cli, tmp_path, callbacks__csv__enabled=True,
                 training__max_steps=2).exit_code == 0
    assert train(run_cli, tmp_path, "--resume", str(tmp_path / "run"),
                 callbacks__csv__enabled=True).exit_code == 0
    records = read_metrics(tmp_path / "run")
    for kind in ("train", "eval"):
        with (tmp_path / "run" / f"{kind}.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        expected = [r for r in records if r["kind"] == kind]
        assert [int(row["step"]) for row in rows] == [r["step"] for r in expected]
        key = "loss" if kind == "train" else "eval_bpb"
        assert [float(row[key]) for row in rows] == pytest.approx([r[key] for r in expected])
    # metrics.jsonl is unchanged by the loggers: each record once, with its kind
    assert [(r["kind"], r["step"]) for r in records] == [
        ("train", 1), ("train", 2), ("eval", 2), ("train", 3), ("train", 4), ("eval", 4)]

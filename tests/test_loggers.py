"""The logger plugins: TensorBoard, W&B (offline) and MLflow (SQLite), each read back with
its own reader, and CSV; each off until enabled, and a clear error naming the extra when
a chosen logger's package is missing."""

from __future__ import annotations

import csv
import json
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
    assert not (tmp_path / "run" / "wandb").exists()
    assert not (tmp_path / "run" / "mlflow.db").exists()


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


# --- W&B and MLflow: each read back with its own reader -----------------------------------

WANDB_BLOCK = 32768  # the .wandb file: LevelDB-log framing of wandb's Record protobufs


def wandb_records(path: Path) -> list:
    """The records of an offline run's ``run-<id>.wandb``, decoded with wandb's own
    protobuf schema (each chunk's CRC-32 checked as wandb writes it)."""
    import struct
    import zlib

    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"  # wandb's header: ident, magic, version (7 bytes)
    records, payload, offset = [], b"", 7
    while offset + 7 <= len(data):
        if WANDB_BLOCK - offset % WANDB_BLOCK < 7:  # a block's tail is padding
            offset += WANDB_BLOCK - offset % WANDB_BLOCK
            continue
        checksum, length, kind = struct.unpack("<IHB", data[offset:offset + 7])
        chunk = data[offset + 7:offset + 7 + length]
        assert checksum == zlib.crc32(chunk, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF
        offset += 7 + length
        payload += chunk
        if kind in (1, 4):  # a full record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(payload)
            records.append(record)
            payload = b""
    return records


def wandb_history(records) -> dict[str, list[tuple[int, float]]]:
    found: dict[str, list[tuple[int, float]]] = {}
    for record in records:
        if record.WhichOneof("record_type") == "history":
            step = record.history.step.num
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                if not key.startswith("_"):
                    found.setdefault(key, []).append((step, json.loads(item.value_json)))
    return found


def logged_records(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """What metrics.jsonl says each logger should have: name -> (step, value)."""
    from neat_plugins.loggers.metrics import scalars

    expected: dict[str, list[tuple[int, float]]] = {}
    for record in read_metrics(run_dir):
        if record["kind"] in ("train", "eval"):
            for name, value in scalars(record).items():
                expected.setdefault(name, []).append((record["step"], value))
    return expected


@pytest.fixture
def offline_wandb(monkeypatch):
    """W&B never reaches a server in tests, whatever the logger asks for."""
    pytest.importorskip("wandb", reason="wandb is not installed (the wandb extra)")
    for name, value in (("WANDB_MODE", "offline"), ("WANDB_SILENT", "true"),
                        ("WANDB_ERROR_REPORTING", "false"), ("WANDB_API_KEY", "")):
        monkeypatch.setenv(name, value)


def test_wandb_offline_run_files_hold_the_metrics_and_config(tmp_path, run_cli, offline_wandb):
    import wandb

    result = train(run_cli, tmp_path, callbacks__wandb__enabled=True, training__max_steps=2)
    assert result.exit_code == 0, result.stderr
    resumed = train(run_cli, tmp_path, "--resume", str(tmp_path / "run"),
                    callbacks__wandb__enabled=True)
    assert resumed.exit_code == 0, resumed.stderr
    # what the end of a `neat train` process does: wait until W&B's service has written
    # and closed every run's files (run.finish() returns before the last records may be
    # on disk; seen under load)
    wandb.teardown()
    first, second = sorted((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))
    expected = logged_records(tmp_path / "run")
    found: dict[str, list[tuple[int, float]]] = {}
    for path in (first, second):  # one W&B run per session; the second from step 2 on
        for key, points in wandb_history(wandb_records(path)).items():
            found.setdefault(key, []).extend(points)
    assert set(found) == set(expected)
    for key, points in expected.items():
        assert [step for step, _ in found[key]] == [step for step, _ in points], key
        assert [v for _, v in found[key]] == pytest.approx([v for _, v in points]), key
    runs = [r.run for path in (first, second) for r in wandb_records(path)
            if r.WhichOneof("record_type") == "run"]
    assert [run.display_name for run in runs] == ["run", "run"]
    assert [run.run_group for run in runs] == ["run", "run"]
    config = {item.key: json.loads(item.value_json) for item in runs[0].config.update}
    assert config["model"]["hidden_size"] == 16 and config["training"]["max_steps"] == 2


def test_mlflow_sqlite_store_holds_the_metrics_and_params(tmp_path, run_cli):
    pytest.importorskip("mlflow", reason="mlflow is not installed (the mlflow extra)")
    pytest.importorskip("sqlalchemy", reason="sqlalchemy is not installed (the mlflow extra)")
    from mlflow.tracking import MlflowClient

    result = train(run_cli, tmp_path, callbacks__mlflow__enabled=True, training__max_steps=2)
    assert result.exit_code == 0, result.stderr
    resumed = train(run_cli, tmp_path, "--resume", str(tmp_path / "run"),
                    callbacks__mlflow__enabled=True)
    assert resumed.exit_code == 0, resumed.stderr
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'run' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("neat")
    runs = sorted(client.search_runs([experiment.experiment_id]),
                  key=lambda run: int(run.data.tags["neat.start_step"]))
    assert [run.data.tags["neat.start_step"] for run in runs] == ["0", "2"]
    assert all(run.info.status == "FINISHED" and run.info.run_name == "run" for run in runs)
    expected = logged_records(tmp_path / "run")
    for key, points in expected.items():
        history = [(m.step, m.value) for run in runs
                   for m in sorted(client.get_metric_history(run.info.run_id, key),
                                   key=lambda m: m.step)]
        assert [step for step, _ in history] == [step for step, _ in points], key
        assert [v for _, v in history] == pytest.approx([v for _, v in points]), key
    params = runs[0].data.params
    assert params["model.hidden_size"] == "16" and params["training.max_steps"] == "2"
    assert params["data.train"] == json.dumps([json.loads(params["data.train"])[0]])


@pytest.mark.parametrize("logger, package", [("wandb", "wandb"), ("mlflow", "mlflow"),
                                             ("mlflow", "sqlalchemy")])
def test_a_missing_wandb_or_mlflow_is_an_error_naming_the_extra(tmp_path, run_cli,
                                                                monkeypatch, logger,
                                                                package):
    monkeypatch.setitem(sys.modules, package, None)
    result = train(run_cli, tmp_path, **{f"callbacks__{logger}__enabled": True})
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error == (f"error: callbacks.{logger} is enabled but the {package} package is not "
                     f"installed (hint: pip install 'neat-entropy[{logger}]', or set "
                     f"callbacks.{logger}.enabled = false)")
    assert not (tmp_path / "cache").exists()  # stopped before the data was prepared

"""`neat train` and `neat_core.train` end to end with a tiny model on real text."""

from __future__ import annotations

import json
import math

import pytest

import neat_core
from neat_core import hookimpl
from neat_core.checkpoint import load_checkpoint, load_model
from neat_core.testing import plugin_registered
from neat_core.training import read_metrics

from .train_utils import losses, set_args, tiny_config, tiny_settings


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_python_api_trains_and_writes_a_complete_run(tmp_path, cache_dir):
    metrics = neat_core.train(tiny_config(tmp_path / "run", cache_dir, training__keep_last=1))
    run = tmp_path / "run"
    assert metrics["step"] == 4 and math.isclose(metrics["eval_bpb"],
                                                 metrics["eval_loss"] / math.log(2))
    assert math.isclose(metrics["eval_perplexity"], math.exp(metrics["eval_loss"]))
    records = read_metrics(run)
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3, 4]
    assert [r["step"] for r in records if r["kind"] == "eval"] == [2, 4]
    first = records[0]
    assert {"loss", "bpb", "perplexity", "lr", "grad_norm", "bytes_per_second",
            "bytes_seen", "elapsed_s"} <= first.keys()
    assert first["bytes_seen"] == 4 * 16
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"]["hidden_size"] == 16 and saved["training"]["max_steps"] == 4
    best = f"step-{metrics['best_step']:07d}"
    assert (run / "checkpoints" / "best").resolve().name == best
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == sorted(
        {"best", best, "step-0000004"})  # keep_last=1 plus the best
    final = load_checkpoint(run / "checkpoints" / "step-0000004")
    assert final.meta["step"] == 4 and final.meta["metrics"]["eval_loss"] == metrics["eval_loss"]
    assert final.training_state["step"] == 4
    model, config = load_model(run / "checkpoints" / "best")
    assert config.model.hidden_size == 16 and not model.training
    assert metrics["best_step"] in (2, 4) and metrics["checkpoint"].endswith("step-0000004")


def test_cli_trains_quietly_without_a_terminal(run_cli, tmp_path, cache_dir):
    settings = tiny_settings(tmp_path / "run", cache_dir, training__max_steps=2)
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 0, result.stderr
    assert "trained to step 2" in result.stdout and "bits per byte" in result.stdout
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    quiet = run_cli("-q", "train", "--output-dir", str(tmp_path / "quiet"),
                    *set_args({**settings, "run.output_dir": str(tmp_path / "quiet")}))
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    after = run_cli("train", "-q", "--output-dir", str(tmp_path / "after"),  # -q after too
                    *set_args({**settings, "run.output_dir": str(tmp_path / "after")}))
    assert after.exit_code == 0 and after.stdout == "" and after.stderr == ""


def test_a_resume_that_reshapes_the_schedule_says_so(run_cli, tmp_path, cache_dir):
    settings = tiny_settings(tmp_path / "run", cache_dir, training__max_steps=3)
    assert run_cli("train", *set_args(settings)).exit_code == 0
    resumed = run_cli("train", "--resume", str(tmp_path / "run"), "--max-steps", "5")
    assert resumed.exit_code == 0, resumed.stderr
    assert ("warning: training.max_steps changed from 3 to 5: the cosine learning-rate "
            "decay now ends at step 5, so the rate at step 3 becomes") in resumed.stderr


def test_n_steps_then_resume_n_equals_2n_steps(run_cli, tmp_path, cache_dir):
    """Exact resume: optimizer, schedule, RNG (dropout) and sampler state all restored."""
    settings = tiny_settings(tmp_path / "full", cache_dir, training__lr_schedule="constant",
                             model__dropout=0.1, training__gradient_accumulation_steps=2,
                             training__max_steps=6)
    assert run_cli("train", *set_args(settings)).exit_code == 0
    split = {**settings, "run.output_dir": str(tmp_path / "split"), "training.max_steps": 3}
    assert run_cli("train", *set_args(split)).exit_code == 0
    resumed = run_cli("train", "--resume", "--max-steps", "6", "--output-dir",
                      str(tmp_path / "split"))
    assert resumed.exit_code == 0, resumed.stderr
    full, split_losses = losses(tmp_path / "full"), losses(tmp_path / "split")
    assert list(split_losses) == [1, 2, 3, 4, 5, 6]
    assert split_losses == full  # identical floats, not approximately equal


def test_resuming_mid_schedule_matches_the_uninterrupted_run(run_cli, tmp_path, cache_dir):
    settings = tiny_settings(tmp_path / "full", cache_dir, training__max_steps=6,
                             training__save_steps=3, training__keep_last=5)
    assert run_cli("train", *set_args(settings)).exit_code == 0
    middle = tmp_path / "full" / "checkpoints" / "step-0000003"
    result = run_cli("train", "--resume", str(middle), "--output-dir", str(tmp_path / "again"))
    assert result.exit_code == 0, result.stderr
    full = losses(tmp_path / "full")
    assert losses(tmp_path / "again") == {s: full[s] for s in (4, 5, 6)}
    again = load_checkpoint(tmp_path / "again" / "checkpoints" / "step-0000006")
    first = load_checkpoint(tmp_path / "full" / "checkpoints" / "step-0000006")
    assert all((again.state_dict[k] == v).all() for k, v in first.state_dict.items())


def test_resume_uses_the_checkpoint_config_not_the_defaults(run_cli, tmp_path, cache_dir):
    settings = tiny_settings(tmp_path / "run", cache_dir, model__hidden_size=24,
                             model__num_heads=3, model__positional="learned",
                             training__max_steps=2)
    assert run_cli("train", *set_args(settings)).exit_code == 0
    result = run_cli("train", "--resume", str(tmp_path / "run"), "--max-steps", "3")
    assert result.exit_code == 0, result.stderr
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"]["hidden_size"] == 24 and config["training"]["max_steps"] == 3
    assert config["model"]["positional"] == "learned"


class Recorder:
    def __init__(self, events):
        self.events = events

    def on_train_start(self, info):
        self.events.append(("start", info["step"], info["max_steps"]))

    def on_log(self, record):
        self.events.append(("log", record["step"]))

    def on_eval(self, record):
        self.events.append(("eval", record["step"], round(record["eval_bpb"], 6)))

    def on_checkpoint(self, path, record):
        self.events.append(("checkpoint", path.name, record["step"]))

    def on_train_end(self, metrics):
        self.events.append(("end", metrics["step"]))


def test_training_callbacks_plugin_sees_the_run(tmp_path, cache_dir):
    events: list = []

    class CallbackPlugin:
        @hookimpl
        def register_training_callbacks(self, register):
            register("recorder", lambda config, run_dir: Recorder(events))

    with plugin_registered(CallbackPlugin(), "callbacks-test"):
        neat_core.train(tiny_config(tmp_path / "run", cache_dir, training__max_steps=2,
                                    training__save_steps=2))
    evals = [r for r in read_metrics(tmp_path / "run") if r["kind"] == "eval"]
    assert events == [("start", 0, 2), ("log", 1), ("log", 2),
                      ("eval", 2, round(evals[0]["eval_bpb"], 6)),
                      ("checkpoint", "step-0000002", 2), ("end", 2)]


def test_bench_reports_neat_beside_the_plain_loop_as_table_and_json(run_cli, tmp_path,
                                                                    cache_dir):
    settings = tiny_settings(tmp_path / "unused", cache_dir)
    args = ["bench", "--backend", "cpu", "--steps", "2", "--warmup", "1", "--rounds", "2",
            "--infer-batches", "1", *set_args(settings)]
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["backend"] == "cpu" and row["train_steps"] == 2 and row["train_rounds"] == 2
    assert row["train_bytes_per_second"] > 0 and row["plain_bytes_per_second"] > 0
    assert len(row["neat_vs_plain_rounds"]) == 2 and row["neat_vs_plain"] > 0
    assert row["infer_bytes_per_second"] > 0 and row["train_peak_memory_bytes"] > 2**20
    table = run_cli(*args)
    assert table.exit_code == 0 and "NEAT/plain" in table.stdout
    assert table.stderr.count("backend: cpu") == 1  # not once per measured run
    assert "eval loss" not in table.stderr
    header, cpu_row = table.stdout.splitlines()[:2]
    assert cpu_row.split()[0] == "cpu" and cpu_row.split()[5].endswith("x")
    assert not (tmp_path / "unused").exists()


def test_bf16_autocast_on_the_cpu_changes_the_numerics_not_the_result(tmp_path, cache_dir):
    neat_core.train(tiny_config(tmp_path / "fp32", cache_dir, training__max_steps=3,
                                backend__mixed_precision="off"))
    neat_core.train(tiny_config(tmp_path / "bf16", cache_dir, training__max_steps=3,
                                backend__mixed_precision="bf16"))
    fp32, bf16 = losses(tmp_path / "fp32"), losses(tmp_path / "bf16")
    assert fp32 != bf16  # the forward pass ran in bfloat16
    assert fp32.keys() == bf16.keys() == {1, 2, 3}
    assert all(abs(fp32[step] - bf16[step]) < 0.05 for step in fp32)


@pytest.mark.parametrize("setting, pays_back, compiled", [(None, True, True),
                                                          (None, False, False),
                                                          (False, True, False)])
def test_compile_unset_follows_the_backend(tmp_path, cache_dir, monkeypatch, setting,
                                           pays_back, compiled):
    import torch

    from .backends_sim import AcceleratorBackend, backend_plugin

    class Compiling(AcceleratorBackend):
        def compile_pays_back(self, steps: int) -> bool:
            return pays_back and steps == 2

    calls = []
    monkeypatch.setattr(torch, "compile", lambda model: calls.append(model) or model)
    with plugin_registered(backend_plugin(Compiling), name="compiling-plugin"):
        neat_core.train(tiny_config(tmp_path / "run", cache_dir, backend__name="accel",
                                    training__max_steps=2, training__compile=setting))
    assert bool(calls) == compiled

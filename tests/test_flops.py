"""FLOPs per byte through the optional model method: shown by `neat train` at start,
stored in checkpoints and evaluation results, reported by `neat bench`."""

from __future__ import annotations

import json

import pytest

import neat_core
from neat_core.checkpoint import load_checkpoint, load_model
from neat_core.errors import PluginError
from neat_core.flops import describe_flops, model_flops

from .train_utils import set_args, tiny_config, tiny_settings


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_train_shows_the_flops_and_checkpoints_and_results_keep_them(run_cli, tmp_path,
                                                                     cache_dir):
    settings = tiny_settings(tmp_path / "run", cache_dir, training__max_steps=2)
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 0, result.stderr
    model, _ = load_model(tmp_path / "run" / "checkpoints" / "best")
    flops = model.flops_per_byte()
    assert describe_flops(flops) in result.stderr
    assert "FLOPs per byte: forward " in result.stderr
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "best").meta[
        "flops_per_byte"] == flops
    results = neat_core.evaluate(tmp_path / "run" / "checkpoints" / "best",
                                 overrides={"backend.name": "cpu",
                                            "evaluators.bits-per-byte.compressors": False})
    assert results["flops_per_byte"] == flops


def test_bench_reports_the_flops(tmp_path, cache_dir):
    from neat_plugins.bench.timing import bench

    config = tiny_config(tmp_path / "run", cache_dir)
    row, = bench(config, ["cpu"], steps=1, warmup=1, infer_batches=1)
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    assert row["flops_per_byte"] == model.flops_per_byte()
    assert json.loads(json.dumps(row)) == row  # JSON-ready for --json


def test_a_model_without_the_method_has_none_and_a_bad_answer_is_an_error():
    assert model_flops(object()) is None

    class Wrong:
        def flops_per_byte(self):
            return {"forward": 1.0}

    with pytest.raises(PluginError, match="Wrong.flops_per_byte"):
        model_flops(Wrong())


def test_describe_uses_readable_units():
    assert describe_flops({"forward": 1.5e6, "training": 4.5e6, "entropy_model": 2500.0,
                           "mean_patch_size": 4.0}) == \
        "FLOPs per byte: forward 1.5 M, training 4.5 M, entropy model 2.5 k, mean patch size 4"

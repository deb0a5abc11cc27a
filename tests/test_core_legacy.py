"""Migration of the older tool's flat configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neat_core.config import config_from_dict, is_legacy, load_config, migrate
from neat_plugins.backends.cuda import CudaSettings
from neat_plugins.blt.patching.settings import PatchingConfig

DATA = Path(__file__).parent / "data"
APPLE = DATA / "legacy_apple_silicon.json"
OTHER = DATA / "legacy_other_names.json"


def changes_by_key(path: Path):
    migration = migrate(json.loads(path.read_text()))
    return migration, {change.old_key: change for change in migration.changes}


def test_the_older_tools_apple_silicon_file_migrates_and_validates():
    old = json.loads(APPLE.read_text())
    migration, changes = changes_by_key(APPLE)
    assert set(changes) == set(old) | {"model.hash_ngrams"}, "every old key gets a line"
    assert changes["model.hash_ngrams"].action == "added"  # the older tool had none
    config = config_from_dict(migration.config)
    assert config.model.hash_ngrams == []
    assert (config.model.name, config.model.hidden_size, config.model.num_layers,
            config.model.num_heads, config.model.dropout, config.model.block_size) == \
        ("blt-entropy", 128, 2, 4, 0.1, 128)
    assert (config.training.batch_size, config.training.max_steps, config.training.eval_steps,
            config.training.save_steps, config.training.learning_rate,
            config.training.warmup_steps, config.training.gradient_accumulation_steps,
            config.training.weight_decay, config.training.log_steps) == \
        (16, 5000, 250, 500, 5e-5, 250, 2, 0.01, 50)
    assert config.backend.mixed_precision == "off" and config.backend.name == "auto"
    assert config.run.output_dir == "./outputs/byte_lm"
    assert config.data.train == ["./data/pile_subset/train"]
    assert config.data.eval == ["./data/pile_subset/eval"]
    assert config.data.cache_dir == "./data/cache/byte_lm"
    assert config.settings(PatchingConfig).threshold == 0.5
    assert changes["hidden_size"].action == "moved"
    assert changes["mixed_precision"].action == "converted"
    assert changes["num_workers"].action == "dropped" and "workers" in changes["num_workers"].reason
    assert changes["force_cpu"].action == "dropped"
    assert "in bits" in changes["entropy_threshold"].reason


def test_every_other_legacy_name_is_handled():
    old = json.loads(OTHER.read_text())
    migration, changes = changes_by_key(OTHER)
    assert set(changes) == set(old) | {"model.hash_ngrams"}
    config = config_from_dict(migration.config)
    assert config.model.hidden_size == 64 and config.model.num_layers == 3
    # byte_lm_num_heads comes first among the names of model.num_heads and wins
    assert config.model.num_heads == 2 and changes["num_attention_heads"].action == "dropped"
    assert config.backend.name == "cpu"
    assert config.settings(CudaSettings).memory_reserve_pct == 20
    assert config.backend.mixed_precision == "bf16"
    patching = config.settings(PatchingConfig)
    assert (patching.min_patch_size, patching.max_patch_size, patching.mode) == (2, 16, "global")
    assert config.training.max_grad_norm == 0.5 and config.training.min_learning_rate == 1e-5
    assert config.run.output_dir == "./runs/old"
    for block in ("data_config", "synthetic_data", "binary_data", "validation", "profiling",
                  "checkpointing", "hardware_optimization", "entropy_threshold_annealing",
                  "entropy_diversity_loss"):
        assert changes[block].action == "dropped" and "never read" in changes[block].reason
    for key in ("platform_optimizations", "gradient_checkpointing", "processed_dir", "metadata_dir"):
        assert changes[key].action == "dropped" and changes[key].reason
    assert changes["mystery_knob"].reason == ("not a setting of the older tool, of NEAT or of "
                                              "an installed plugin")


def test_current_files_are_not_mistaken_for_legacy():
    assert is_legacy(json.loads(APPLE.read_text()))
    assert not is_legacy({"schema_version": 1, "training": {"max_steps": 3}})
    assert not is_legacy({"schema_version": 2, "training": {"max_steps": 3}})


def test_migrate_command_writes_a_valid_file_and_reports(tmp_path, run_cli):
    out = tmp_path / "new.json"
    result = run_cli("config", "migrate", str(APPLE), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "moved      hidden_size = 128 -> model.hidden_size = 128" in result.stderr
    assert "patching.threshold = 0.5" in result.stderr and "bits" in result.stderr
    assert "dropped    num_workers = 2:" in result.stderr
    assert run_cli("config", "validate", str(out)).exit_code == 0
    assert json.loads(out.read_text())["schema_version"] == 2
    again = run_cli("config", "migrate", str(APPLE), "-o", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_loading_a_legacy_file_directly_warns_and_explains(run_cli, caplog):
    resolved = load_config(APPLE)
    assert resolved.config.model.hidden_size == 128
    assert resolved.sources["model.hidden_size"] == f"file {APPLE}"
    result = run_cli("config", "show", "--explain", "-c", str(APPLE))
    assert result.exit_code == 0
    assert "legacy config" in result.stderr and f"neat config migrate {APPLE}" in result.stderr
    hidden = next(line for line in result.stdout.splitlines() if line.startswith("model.hidden_size"))
    assert "128" in hidden and str(APPLE) in hidden


@pytest.mark.parametrize("value, expected", [(True, "auto"), (False, "off")])
def test_mixed_precision_booleans_convert(value, expected):
    assert migrate({"mixed_precision": value}).config["backend"]["mixed_precision"] == expected


def test_a_schema_1_config_migrates_every_moved_key(tmp_path, run_cli):
    old = {"schema_version": 1, "backend": {"name": "cpu", "threads": 1, "device_index": 1,
                                            "memory_reserve_pct": 5, "mps_fallback": False},
           "eval": {"compressors": False}, "patching": {"threshold": 1.5}}
    migration = migrate(old)
    assert migration.config == {
        "schema_version": 2,
        "backend": {"name": "cpu", "cpu": {"threads": 1},
                    "cuda": {"device_index": 1, "memory_reserve_pct": 5},
                    "mps": {"fallback": False}},
        "evaluators": {"bits-per-byte": {"compressors": False}},
        "patching": {"threshold": 1.5},
        "model": {"hash_ngrams": []}}  # schema 1 had no hash n-grams (now on by default)
    lines = migration.report().splitlines()
    assert "added      model.hash_ngrams = [] (what configs from before this setting " \
           "meant)" in lines
    assert "moved      backend.threads = 1 -> backend.cpu.threads = 1" in lines
    assert "renamed    backend.mps_fallback = false -> backend.mps.fallback = false" in lines
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    result = run_cli("config", "show", "-c", str(path))
    assert result.exit_code == 0
    assert "schema version 1" in result.stderr and "neat config migrate" in result.stderr
    assert "backend.cuda.device_index            = 1" in result.stdout


def test_a_config_that_extends_another_leaves_legacy_defaults_to_it():
    migration = migrate({"schema_version": 1, "extends": "base.json"})
    assert "model" not in migration.config


def test_a_checkpoint_from_before_hash_ngrams_loads_as_it_was_saved(tmp_path, run_cli):
    """Schema-1 checkpoints name no model.hash_ngrams: they had none, whatever the
    default is now, so their weights still fit the model built for them."""
    from neat_core.checkpoint import CONFIG_FILE, load_model

    from .checkpoint_util import edit_json, forge_checksums
    from .train_utils import CORPUS, set_args, tiny_settings

    settings = tiny_settings(tmp_path / "run", tmp_path / "cache", model__hash_ngrams=[])
    assert run_cli("train", *set_args(settings)).exit_code == 0
    checkpoint = tmp_path / "run" / "checkpoints" / "step-0000004"

    def as_schema_1(config):
        config["schema_version"] = 1
        del config["model"]["hash_ngrams"]
    edit_json(checkpoint / CONFIG_FILE, as_schema_1)
    forge_checksums(checkpoint)
    model, config = load_model(checkpoint)
    assert config.model.hash_ngrams == [] and model.hash_embed is None
    # edited, so no longer sealed by this user's NEAT: its data must be named
    result = run_cli("eval", str(checkpoint), "--data", CORPUS, "--set", "eval.max_bytes=200")
    assert result.exit_code == 0, result.output

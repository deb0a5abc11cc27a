"""The configs in configs/ load, carry schema_version, and say what docs/configs.md says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neat_core.config import SCHEMA_VERSION, default_config, load_config, to_dict

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHIPPED = ["base.json", "quickstart.json", "cpu.json", "cuda.json", "mps.json"]
PLATFORMS = {"cpu.json": "cpu", "cuda.json": "cuda", "mps.json": "mps"}


def test_every_config_file_is_covered():
    found = {p.name for p in CONFIGS.glob("*.json")} - {"neat.schema.json"}
    assert found == set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_config_loads_and_names_its_schema_version(name):
    raw = json.loads((CONFIGS / name).read_text())
    assert raw["schema_version"] == SCHEMA_VERSION
    assert load_config(CONFIGS / name).config.schema_version == SCHEMA_VERSION


@pytest.mark.parametrize("name", SHIPPED)
def test_config_validates_through_the_cli(name, run_cli):
    result = run_cli("config", "validate", str(CONFIGS / name))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("valid")


@pytest.mark.parametrize("name", ["quickstart.json", *PLATFORMS])
def test_configs_extend_base(name):
    resolved = load_config(CONFIGS / name)
    assert resolved.sources["data.train"] == f"extends {(CONFIGS / 'base.json').resolve()}"


@pytest.mark.parametrize("name, backend", PLATFORMS.items())
def test_platform_configs_select_their_backend_and_own_output_dir(name, backend):
    config = load_config(CONFIGS / name).config
    assert config.backend.name == backend
    assert config.run.output_dir == f"runs/{backend}"


def test_quickstart_config_is_what_neat_train_runs_without_arguments():
    assert to_dict(load_config(CONFIGS / "quickstart.json").config) == to_dict(default_config())

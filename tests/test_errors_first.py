"""Errors come first: a bad flag, path, checkpoint or config is the first line on stderr
(no backend banner, no "using checkpoint" before it), a folder that is no checkpoint is
named as such, and every problem of a config is reported at once, each with its "did
you mean"."""

from __future__ import annotations

import json

import pytest

from neat_core.testing import plugin_registered

from .eval_helpers import SuccessorPlugin, save, tiny_blt
from .train_utils import finished, set_args, tiny_settings  # noqa: F401 - fixture


@pytest.fixture
def successor():
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield


def first_line(result) -> str:
    return result.stderr.splitlines()[0] if result.stderr else ""


def test_missing_data_is_the_first_line_of_eval_analyze_and_compare(run_cli, tmp_path,
                                                                    successor):
    run = tmp_path / "run"
    save(run / "checkpoints" / "step-0000010", step=10)
    missing = str(tmp_path / "nothere") + "/"
    for args in (["eval", str(run)], ["analyze", str(run)], ["compare", str(run), str(run)]):
        result = run_cli(*args, "--data", missing)
        assert result.exit_code == 2
        assert first_line(result).startswith(f"error: data source '{missing}' does not exist")
        assert "backend:" not in result.stderr and "using checkpoint" not in result.stderr


def test_a_missing_input_of_neat_patch_comes_before_the_checkpoint_line(run_cli, tmp_path):
    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    result = run_cli("patch", str(tmp_path / "run"), str(tmp_path / "nothere.txt"))
    assert result.exit_code == 2
    assert first_line(result).startswith("error: cannot read")
    assert "using checkpoint" not in result.stderr


def test_resuming_a_finished_run_says_so_before_the_backend(run_cli, finished):
    run, settings = finished
    result = run_cli("train", *set_args(settings), "--resume", str(run))
    assert result.exit_code == 2
    assert "nothing left to train" in first_line(result)
    assert "backend:" not in result.stderr


def test_missing_training_data_is_reported_before_anything_is_set_up(run_cli, tmp_path):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache",
                             data__train=[str(tmp_path / "nothere")])
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 2
    assert first_line(result).startswith("error: data source")
    assert "does not exist" in first_line(result)
    assert not (tmp_path / "run").exists()  # no output directory made for nothing


def test_a_folder_that_is_no_checkpoint_is_named_as_such(run_cli, tmp_path, successor):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "cpu.json").write_text("{}")
    result = run_cli("eval", str(configs))
    assert result.exit_code == 2
    assert first_line(result).startswith(
        f"error: {configs} is neither a checkpoint nor a run directory")
    incomplete = save(tmp_path / "ckpt")  # a damaged checkpoint keeps its own message
    (incomplete / "meta.json").unlink()
    assert "meta.json is missing" in run_cli("eval", str(incomplete)).stderr


def test_every_problem_of_a_config_in_one_message(run_cli, tmp_path):
    config = tmp_path / "typos.json"
    config.write_text(json.dumps({"traning": {"max_steps": 3},
                                  "model": {"hiden_size": 64},
                                  "run": {"seed": "one"}}))
    result = run_cli("config", "validate", str(config))
    assert result.exit_code == 2
    line = first_line(result)
    assert line.startswith("error: 3 problems in the config: (1) unknown config key "
                           f"'traning' (did you mean \"training\"?) (from file {config});")
    assert "(2) unknown config key 'model.hiden_size' (did you mean " \
           "\"model.hidden_size\"?)" in line
    assert "(3) config key 'run.seed' must be an integer, got \"one\"" in line
    result = run_cli("train", "-c", str(config), "--set", "training.max_stepz=5")
    assert first_line(result).startswith("error: 4 problems in the config: (1) --set: "
                                         "unknown config key 'training.max_stepz' (did "
                                         "you mean \"training.max_steps\"?)")

"""Integrity end to end (audit defects 4, 8, 12, 13): every file of a checkpoint is
covered by a checksum that cannot be removed silently, malformed fields are errors
naming the field (exit 2), non-finite weights are refused, and trained weights are
never reinterpreted by another model setting."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from neat_core.checkpoint import CONFIG_FILE, META_FILE, MODEL_FILE, STATE_JSON_FILE

from ..checkpoint_util import edit_json, forge_checksums
from ..train_utils import copy_run, error_line, finished  # noqa: F401 - fixture

CHECKPOINT = "checkpoints/step-0000004"


def set_in(path: list, value):
    """A change that sets ``data[path...] = value`` (or deletes it for ``...``)."""
    def change(data):
        for key in path[:-1]:
            data = data[key]
        if value is ...:
            del data[path[-1]]
        else:
            data[path[-1]] = value
    return change


@pytest.mark.parametrize("file, change, message", [
    # the audit's case: the checksums stripped, then a weight set to 1.8e37
    (META_FILE, set_in(["sha256"], ...), "field 'sha256' must be an object"),
    (META_FILE, set_in(["sha256"], None), "field 'sha256' must be an object"),
    (META_FILE, set_in(["sha256"], ["abc"]), "field 'sha256' must be an object"),
    (META_FILE, set_in(["sha256", MODEL_FILE], 7), "field 'sha256' must be an object"),
    (META_FILE, set_in(["sha256", CONFIG_FILE], ...), "no checksum for config.json"),
    (META_FILE, set_in(["sha256", STATE_JSON_FILE], ...), "no checksum for training_state.json"),
    (META_FILE, set_in(["step"], ...), "field 'step' must be a non-negative integer, got missing"),
    (META_FILE, set_in(["step"], "40"), "field 'step' must be a non-negative integer, got \"40\""),
    (META_FILE, set_in(["step"], 4.5), "field 'step' must be a non-negative integer"),
    (META_FILE, set_in(["step"], True), "field 'step' must be a non-negative integer"),
    (META_FILE, set_in(["format_version"], 99), "field 'format_version' must be an integer"),
    (META_FILE, set_in(["model"], None), "field 'model' must be the model's name"),
    (META_FILE, set_in(["metrics"], []), "field 'metrics' must be an object"),
    # the audit's silent cases: another model with equal shapes, a resume at another step
    (CONFIG_FILE, set_in(["model", "num_heads"], 1), "config.json is damaged: its checksum"),
    (STATE_JSON_FILE, set_in(["step"], 1), "training_state.json is damaged: its checksum"),
])
def test_a_damaged_field_is_an_error_naming_it(run_cli, finished, tmp_path, file, change,
                                               message):
    run = copy_run(finished, tmp_path)
    edit_json(run / CHECKPOINT / file, change)
    commands = [["train", "--resume", str(run), "--max-steps", "6"]]
    if file != STATE_JSON_FILE:  # eval never reads the training state (issue 23, item 13)
        commands.insert(0, ["eval", str(run / CHECKPOINT)])
    for command in commands:
        result = run_cli(*command, "--set", "eval.max_bytes=200")
        assert result.exit_code == 2, (command, result.output)
        assert message in error_line(result), error_line(result)


def test_the_audits_huge_weight_without_checksums_is_refused(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    weights = load_file(run / CHECKPOINT / MODEL_FILE)
    weights["embed.weight"][0, 0] = 1.8e37
    save_file(weights, run / CHECKPOINT / MODEL_FILE)
    edit_json(run / CHECKPOINT / META_FILE, set_in(["sha256"], ...))
    result = run_cli("eval", str(run / CHECKPOINT))
    assert result.exit_code == 2 and "field 'sha256'" in error_line(result)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_on_load(run_cli, finished, tmp_path, value):
    run = copy_run(finished, tmp_path)
    weights = load_file(run / CHECKPOINT / MODEL_FILE)
    weights["head.weight"][3, :2] = value
    save_file(weights, run / CHECKPOINT / MODEL_FILE)
    forge_checksums(run / CHECKPOINT)  # consistent files: the weights themselves are bad
    for command in (["eval", str(run / CHECKPOINT)], ["patch", str(run / CHECKPOINT), "-"],
                    ["train", "--resume", str(run), "--max-steps", "6"]):
        result = run_cli(*command, input="some text")
        assert result.exit_code == 2, result.output
        assert "holds non-finite weights: 2 NaN or infinite value(s) in head.weight" in \
               error_line(result)


def test_finite_weights_that_compute_nan_fail_eval_and_patch(run_cli, finished, tmp_path):
    """Weights finite on disk can still overflow to inf/NaN: eval must not report nan
    with exit 0, nor patch make one patch of everything (audit defect 12)."""
    run = copy_run(finished, tmp_path)
    weights = load_file(run / CHECKPOINT / MODEL_FILE)
    weights = {name: torch.full_like(tensor, 3e38) if name == "head.weight" else tensor
               for name, tensor in weights.items()}
    save_file(weights, run / CHECKPOINT / MODEL_FILE)
    forge_checksums(run / CHECKPOINT)
    result = run_cli("eval", str(run / CHECKPOINT), "--set", "eval.max_bytes=200")
    assert result.exit_code == 1
    assert "evaluator 'bits-per-byte' gave a non-finite value at overall" in error_line(result)
    result = run_cli("patch", str(run / CHECKPOINT), "-", input="some text to patch")
    assert result.exit_code == 1 and "non-finite entropy" in error_line(result)


@pytest.mark.parametrize("setting, value", [("model.num_heads", "1"),
                                            ("model.tie_weights", "true"),
                                            ("model.dropout", "0.5")])
def test_model_settings_cannot_reinterpret_trained_weights(run_cli, finished, tmp_path,
                                                           setting, value):
    run = copy_run(finished, tmp_path)
    for command in (["eval", str(run / CHECKPOINT)], ["analyze", str(run / CHECKPOINT)],
                    ["patch", str(run / CHECKPOINT), "-"],
                    ["train", "--resume", str(run), "--max-steps", "6"]):
        result = run_cli(*command, "--set", f"{setting}={value}", input="some text")
        assert result.exit_code == 2, (command, result.output)
        assert f"{setting} is {value} here but" in error_line(result)
        assert f"drop the {setting} setting" in error_line(result)


def test_the_same_model_setting_given_again_is_fine(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    result = run_cli("eval", str(run / CHECKPOINT), "--set", "model.num_heads=2",
                     "--set", "eval.max_bytes=200")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, message", [
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "its JSON is nested too deeply"),
    ('{"step": ' + "9" * 5000 + "}", "Exceeds the limit (4300 digits)"),
])
def test_pathological_json_in_a_checkpoint_is_damage(run_cli, finished, tmp_path, text,
                                                     message):
    run = copy_run(finished, tmp_path)
    (run / CHECKPOINT / META_FILE).write_text(text)
    result = run_cli("eval", str(run / CHECKPOINT))
    assert result.exit_code == 2 and f"{META_FILE} is damaged: {message}" in error_line(result)


@pytest.mark.parametrize("config, message", [
    ([], "it has no model.name"),
    ({"model": None}, "it has no model.name"),
    ({"model": {"hidden_size": 16}}, "it has no model.name"),
    ({"model": {"name": "blt-entropy", "num_heads": "two"}}, "is not a valid config"),
])
def test_a_broken_config_inside_a_checkpoint_says_so(run_cli, finished, tmp_path, config,
                                                     message):
    """Not 'a model of type None' (audit defect 13)."""
    run = copy_run(finished, tmp_path)
    (run / CHECKPOINT / CONFIG_FILE).write_text(json.dumps(config))
    forge_checksums(run / CHECKPOINT)
    result = run_cli("eval", str(run / CHECKPOINT))
    assert result.exit_code == 2
    assert f"{CONFIG_FILE} is not a valid config" in error_line(result)
    assert message in error_line(result) and "None" not in error_line(result)


def test_checkpoints_of_the_older_format_load_with_a_warning(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    meta = json.loads((run / CHECKPOINT / META_FILE).read_text())
    meta["format_version"] = 1
    meta["sha256"] = {name: digest for name, digest in meta["sha256"].items()
                      if name.endswith(".safetensors")}
    (run / CHECKPOINT / META_FILE).write_text(json.dumps(meta))
    result = run_cli("eval", str(run / CHECKPOINT), "--set", "eval.max_bytes=200")
    assert result.exit_code == 0, result.output
    assert "written by an older NEAT: its JSON files carry no checksum" in result.stderr
    del meta["sha256"]
    (run / CHECKPOINT / META_FILE).write_text(json.dumps(meta))
    assert run_cli("eval", str(run / CHECKPOINT)).exit_code == 2  # not a silent skip


@pytest.mark.parametrize("field, value, message", [
    ("step", ..., "field 'step' is missing"), ("step", "40", "field 'step' is str"),
    ("best", None, "field 'best' is missing"), ("ranks", [{}], "'ranks' or 'best' lacks"),
])
def test_a_consistent_but_malformed_training_state_names_the_field(run_cli, finished,
                                                                   tmp_path, field, value,
                                                                   message):
    run = copy_run(finished, tmp_path)
    edit_json(run / CHECKPOINT / STATE_JSON_FILE, set_in([field], value))
    forge_checksums(run / CHECKPOINT)
    result = run_cli("train", "--resume", str(run), "--max-steps", "6")
    assert result.exit_code == 2, result.output
    assert "training state of" in error_line(result) and message in error_line(result)

"""The config schema: loading, precedence, provenance, validation errors, --set, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neat_core.config import (
    NeatConfig,
    Override,
    config_fields,
    config_from_dict,
    default_config,
    load_config,
    parse_assignments,
    to_dict,
)
from neat_core.config.json_schema import config_json_schema
from neat_core.config.tree import flatten
from neat_core.errors import ConfigError
from neat_core.settings.fields import list_item, literal_choices, optional_inner


def write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_defaults_include_the_model_plugins_section():
    config = default_config()
    assert config.model.name == "blt-entropy"
    assert type(config.model).__name__ == "BltEntropyConfig"
    assert config.model.hidden_size % config.model.num_heads == 0


def test_round_trip_through_a_file_is_lossless(tmp_path):
    config = load_config(overrides=[Override("training.max_steps", "7", raw=True),
                                    Override("data.mix", "60,40", raw=True),
                                    Override("data.train", "a,b", raw=True)]).config
    path = write(tmp_path / "c.json", to_dict(config))
    assert load_config(path).config == config


def test_precedence_defaults_extends_file_flags_and_explain(tmp_path):
    write(tmp_path / "base.json", {"schema_version": 1, "training": {"max_steps": 10, "batch_size": 4},
                                   "run": {"seed": 3}})
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub" / "child.json",
                  {"extends": "../base.json", "training": {"batch_size": 8}})
    resolved = load_config(child, [Override("run.seed", "9", "--seed", raw=True)])
    config, sources = resolved.config, resolved.sources
    assert (config.training.max_steps, config.training.batch_size, config.run.seed) == (10, 8, 9)
    assert sources["training.max_steps"].startswith("extends ")
    assert sources["training.batch_size"] == f"file {child}"
    assert sources["run.seed"] == "--seed"
    assert sources["training.learning_rate"] == "default"


def test_extends_list_later_parent_wins(tmp_path):
    write(tmp_path / "a.json", {"training": {"max_steps": 1}})
    write(tmp_path / "b.json", {"training": {"max_steps": 2}})
    child = write(tmp_path / "c.json", {"extends": ["a.json", "b.json"]})
    assert load_config(child).config.training.max_steps == 2


def _other_value(field):
    """A valid value different from the default where the schema allows one."""
    tp, default = field.type, field.default
    inner = optional_inner(tp)
    if inner is not None:
        tp = inner
    if literal_choices(tp):
        return next(c for c in literal_choices(tp) if c != default)
    if list_item(tp) is float:
        return [60.0, 40.0]
    if list_item(tp) is int:
        return [3, 5]
    if list_item(tp) is str:
        return ["x.txt", "y.txt"] if field.path != "eval.reports" else ["json", "html"]
    if tp is bool:
        return not default
    if tp is int:
        special = {"model.num_heads": 8, "model.hidden_size": 512, "schema_version": 2,
                   "data.synthetic.min_length": 32, "patching.min_patch_size": 2}
        return special.get(field.path, (default or 1) + 1)
    if tp is float:
        if field.maximum is not None and field.maximum <= 1:
            return 0.5 if default != 0.5 else 0.25
        special = {"training.min_learning_rate": 1e-4}
        return special.get(field.path, (default or 1.0) * 1.5)
    return {"model.name": "blt-entropy"}.get(field.path, "something")


@pytest.mark.parametrize("field", config_fields(), ids=lambda f: f.path)
def test_every_field_is_settable_with_set(field):
    value = _other_value(field)
    raw = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    resolved = load_config(overrides=parse_assignments([f"{field.path}={raw}"]))
    assert flatten(to_dict(resolved.config))[field.path] == value
    assert resolved.sources[field.path] == "--set"


def test_set_parses_null_json_lists_and_boolean_words():
    config = load_config(overrides=parse_assignments(["backend.cpu.threads=null",
                                                      "data.mix=[70, 30]",
                                                      "run.progress=off"])).config
    assert config.backend.plugins["cpu"].threads is None and config.data.mix == [70, 30]
    assert config.run.progress is False


@pytest.mark.parametrize("data, fragment", [
    ({"training": {"max_stepz": 3}}, 'unknown config key \'training.max_stepz\' (did you mean "training.max_steps"?)'),
    ({"trainig": {}}, 'did you mean "training"?'),
    ({"training": {"batch_size": "16"}}, "'training.batch_size' must be an integer, got \"16\""),
    ({"training": {"batch_size": 2.5}}, "must be an integer"),
    ({"run": {"progress": "yes"}}, "must be true or false"),
    ({"training": {"batch_size": 0}}, "'training.batch_size' must be at least 1, got 0"),
    ({"patching": {"threshold": 9}}, "must be at most 8"),
    ({"patching": {"mode": "fancy"}}, 'must be one of "global" | "relative"'),
    ({"model": {"hidden_size": 100, "num_heads": 3}},
     "model.hidden_size (100) must be divisible by model.num_heads (3)"),
    ({"model": {"name": "nope"}}, "unknown model \"nope\""),
    ({"training": []}, "training must be a JSON object"),
    ({"data": {"train": "file.txt"}}, "must be a list of string"),
])
def test_invalid_values_name_the_key_the_value_and_what_is_allowed(data, fragment):
    with pytest.raises(ConfigError) as error:
        config_from_dict(data)
    assert fragment in error.value.one_line()


def test_errors_name_the_file_that_set_the_bad_value(tmp_path):
    path = write(tmp_path / "c.json", {"training": {"batch_size": -1}})
    with pytest.raises(ConfigError, match=r"from file .*c\.json"):
        load_config(path)


@pytest.mark.parametrize("content, fragment", [
    ('{"training": {"max_steps": 3,}}', ":1:30: invalid JSON"),
    ('[1, 2]', "a config must be a JSON object, got list"),
    ('"text"', "a config must be a JSON object, got str"),
])
def test_malformed_files(tmp_path, run_cli, content, fragment):
    path = write(tmp_path / "bad.json", content)
    result = run_cli("config", "validate", str(path))
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("files, fragment", [
    ({"a.json": {"extends": "b.json"}, "b.json": {"extends": "a.json"}}, "'extends' cycle"),
    ({"a.json": {"extends": "a.json"}}, "'extends' cycle"),
    ({"a.json": {"extends": "missing.json"}}, "extends 'missing.json', which does not exist"),
])
def test_extends_problems(tmp_path, run_cli, files, fragment):
    for name, data in files.items():
        write(tmp_path / name, data)
    result = run_cli("config", "show", "-c", str(tmp_path / "a.json"))
    assert result.exit_code == 2 and fragment in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["-c", "nope.json"], "config file not found: nope.json"),
    (["--set", "training.max_stepz=3"], "unknown config key 'training.max_stepz' (did you mean"),
    (["--set", "training.max_steps=many"], "cannot read 'many' as integer"),
    (["--set", "run.progress=maybe"], "cannot read 'maybe' as boolean"),
    (["--set", "training.max_steps"], "--set expects KEY=VALUE"),
    (["--max-steps", "0"], "'training.max_steps' must be at least 1, got 0 (from --max-steps)"),
])
def test_bad_command_line_values(run_cli, args, fragment):
    result = run_cli("config", "show", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(run_cli):
    result = run_cli("--debug", "config", "show", "--set", "training.max_steps=x")
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_boolean_flags_and_explain_output(run_cli):
    result = run_cli("config", "show", "--explain", "--no-progress", "--set", "training.max_steps=5")
    assert result.exit_code == 0
    lines = {line.split("=")[0].strip(): line for line in result.stdout.splitlines()}
    assert lines["run.progress"].rstrip().endswith(("# --progress", "# --no-progress"))
    assert "false" in lines["run.progress"]
    assert lines["training.max_steps"].rstrip().endswith("# --set")
    assert lines["training.batch_size"].rstrip().endswith("# default")


def test_init_writes_a_loadable_starter_and_never_overwrites(tmp_path, run_cli):
    path = tmp_path / "neat.json"
    assert run_cli("config", "init", str(path)).exit_code == 0
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2
    assert load_config(path).config == default_config()
    path.write_text('{"training": {"max_steps": 3}}')
    result = run_cli("config", "init", str(path))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert json.loads(path.read_text()) == {"training": {"max_steps": 3}}


def test_validate_accepts_a_good_file(tmp_path, run_cli):
    path = write(tmp_path / "ok.json", {"schema_version": 2, "training": {"max_steps": 3}})
    result = run_cli("config", "validate", str(path))
    assert result.exit_code == 0 and "valid" in result.stdout


def test_newer_schema_version_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="newer than this NEAT"):
        load_config(write(tmp_path / "c.json", {"schema_version": 99}))


def test_json_schema_describes_every_field_with_help():
    schema = config_json_schema()
    training = schema["properties"]["training"]["properties"]
    assert training["batch_size"]["minimum"] == 1 and training["batch_size"]["default"] >= 1
    assert schema["properties"]["patching"]["properties"]["mode"]["enum"][0] == "global"
    assert all("description" in spec for spec in training.values())
    model = next(variant for variant in schema["properties"]["model"]["oneOf"]
                 if variant["title"] == "blt-entropy")
    assert model["properties"]["name"] == {"const": "blt-entropy",
                                           "description": model["properties"]["name"]["description"]}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["run", "training", "model", "name", "batch_size", "extends",
                         "mode", "data", "train", "mix", "hidden_size", "x"]) | st.text(max_size=4),
        children, max_size=4),
    max_leaves=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_fuzz_any_json_document_gives_a_config_or_a_config_error(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("fuzz") / "c.json"
    path.write_text(json.dumps(document))
    try:
        config = load_config(path).config
    except ConfigError:
        return
    assert isinstance(config, NeatConfig)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_file_loader_on_arbitrary_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "c.json"
    path.write_text(text)
    try:
        load_config(path)
    except ConfigError:
        pass

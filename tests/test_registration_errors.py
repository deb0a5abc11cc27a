"""Mistakes in a plugin's settings fail only the registration they affect and say where
they are; a config file outlives the plugins that wrote its sections."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

import neat_core
from neat_core.api import (
    CallbackConfig,
    ConfigError,
    Settings,
    frozen,
    hookimpl,
    load_config,
    plugin_registered,
    setting,
)
from neat_core.config.json_schema import config_json_schema
from neat_core.plugins import plugin_info

from .eval_helpers import tiny_blt

HERE = Path(__file__)


def line_of(marker: str) -> int:
    """The line of this file that holds ``marker`` (1-based)."""
    lines = HERE.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1)
                if line.rstrip().endswith(marker))


@frozen
class Fine(Settings):
    level: int = setting(1, help="A level.")


class Undecorated(Fine):  # UNDECORATED
    extra: int = setting(2, help="Not a field without a decorator of its own.")


@frozen
class NoHelp(Settings):
    threads: int = setting(1)  # NO-HELP


@frozen
class Typo(Settings):
    threads: int = setting(1, hepl="Threads.")  # TYPO


@frozen
class Bounds(Settings):
    size: int = setting(4, min=8, max=2, help="A size.")  # BOUNDS


@frozen
class NotCallable(Settings):
    names: list[str] = setting(factory=3, help="Names.")  # NOT-CALLABLE


@frozen
class BadFlag(Settings):
    fast: bool = setting(False, flag="fast", help="Go fast.")  # BAD-FLAG


def backends_plugin(settings: type) -> types.SimpleNamespace:
    """Registers backend 'checked' with ``settings`` and an evaluator with good ones."""

    @hookimpl
    def register_backends(register):
        register("checked", lambda: None, config_class=settings)

    @hookimpl
    def register_evaluators(register):
        register("fine", lambda model, config, backend: None, config_class=Fine)

    return types.SimpleNamespace(register_backends=register_backends,
                                 register_evaluators=register_evaluators)


def test_a_settings_subclass_without_its_own_decorator_is_refused_naming_it(caplog):
    with plugin_registered(backends_plugin(Undecorated), "sub"):
        registry = neat_core.get_registry()
        assert "checked" not in registry.backends and "fine" in registry.evaluators
    assert (f"(Undecorated, {HERE}:{line_of('# UNDECORATED')}) is not decorated with "
            f"@neat_core.api.frozen") in caplog.text


@pytest.mark.parametrize("settings, marker, problem", [
    (NoHelp, "# NO-HELP", "field 'threads' has no help text"),
    (Typo, "# TYPO", "field 'threads' passes setting() the unknown keyword(s) hepl "
                     "(did you mean \"help\"?)"),
    (Bounds, "# BOUNDS", "field 'size' passes setting() min=8 above max=2"),
    (NotCallable, "# NOT-CALLABLE", "field 'names' passes setting() a factory that is not "
                                    "callable: 3"),
    (BadFlag, "# BAD-FLAG", "field 'fast' passes setting() flag='fast', which is not an "
                            "option name"),
])
def test_a_misused_setting_fails_only_that_registration_naming_file_and_line(
        settings, marker, problem, caplog):
    with plugin_registered(backends_plugin(settings), "misused"):  # it imports fine
        registry = neat_core.get_registry()
        assert "checked" not in registry.backends  # this registration fails ...
        assert registry.evaluators["fine"].plugin == "misused"  # ... and only this one
    warning = next(line for line in caplog.text.splitlines() if "backend 'checked'" in line)
    assert "plugin 'misused' failed while registering backend 'checked'" in warning
    assert f"{problem}" in warning
    assert f"(at {HERE}:{line_of(marker)})" in warning


def test_a_well_declared_setting_records_no_misuse():
    from neat_core.settings.fields import misuse, resolved_fields
    from neat_core.settings.schema import NeatConfig

    def fields(cls: type):
        for field in resolved_fields(cls):
            yield field
            if field.metadata.get("section") and field.type is not None:
                yield from fields(field.type)

    assert [misuse(field) for field in fields(NeatConfig) if misuse(field)] == []
    assert misuse(next(iter(resolved_fields(Fine)))) is None


def test_debug_shows_the_traceback_of_a_rejected_registration(run_cli):
    with plugin_registered(backends_plugin(NoHelp), "misused"):
        plain = run_cli("plugins")
    with plugin_registered(backends_plugin(NoHelp), "misused"):  # registered anew
        debug = run_cli("--debug", "plugins")
    assert "has no help text" in plain.stderr and "Stack (most recent" not in plain.stderr
    assert "has no help text" in debug.stderr and "Stack (most recent call last)" in debug.stderr
    assert "in register_backends" in debug.stderr  # the plugin's hook implementation


def test_debug_shows_the_traceback_of_a_plugin_that_raises(run_cli):
    @hookimpl
    def register_reports(register):
        raise RuntimeError("broken on purpose")  # RAISES

    plugin = types.SimpleNamespace(register_reports=register_reports)
    with plugin_registered(plugin, "raising"):
        plain = run_cli("plugins")
    with plugin_registered(plugin, "raising"):  # registered anew
        debug = run_cli("--debug", "plugins")
    assert "RuntimeError: broken on purpose" in plain.stderr
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert f'{HERE}", line {line_of("# RAISES")}' in debug.stderr


# --- a config file names the plugin of each section --------------------------------------

@frozen
class LowMemSettings(Settings):
    threads: int = setting(2, min=1, help="Threads.")


@frozen
class OptIn(CallbackConfig):
    enabled: bool = setting(False, help="Opt in.")


@hookimpl
def register_backends(register):
    register("cpu-lowmem", lambda: None, config_class=LowMemSettings)


@hookimpl
def register_training_callbacks(register):
    register("note", lambda config, run_dir: None, config_class=OptIn)


LOWMEM = types.SimpleNamespace(register_backends=register_backends,
                               register_training_callbacks=register_training_callbacks)


def test_config_init_records_the_plugin_of_each_section(run_cli, tmp_path):
    with plugin_registered(LOWMEM, "lowmem"):
        assert run_cli("config", "init", str(tmp_path / "neat.json")).exit_code == 0
    data = json.loads((tmp_path / "neat.json").read_text())
    assert data["plugins"]["lowmem"] == {"distribution": None, "version": None,
                                         "sections": ["backend.cpu-lowmem", "callbacks.note"]}
    cpu = plugin_info("cpu")
    assert cpu is not None
    assert data["plugins"]["cpu"] == {"distribution": cpu.distribution, "version": cpu.version,
                                      "sections": ["backend.cpu"]}
    assert "model" not in {path for record in data["plugins"].values()
                           for path in record["sections"]}  # model.name names its plugin


def test_sections_of_a_plugin_no_longer_installed_are_left_out_with_a_warning(
        run_cli, tmp_path):
    path = tmp_path / "neat.json"
    with plugin_registered(LOWMEM, "lowmem"):
        run_cli("config", "init", str(path), "--set", "backend.cpu-lowmem.threads=3")
        assert load_config(path).config.backend.plugins["cpu-lowmem"].threads == 3
    result = run_cli("config", "validate", str(path))  # the plugin is gone
    assert result.exit_code == 0, result.stderr
    for section in ("backend.cpu-lowmem", "callbacks.note"):
        assert (f"warning: {path}: ignoring section '{section}' of plugin 'lowmem', which is "
                f"not installed") in result.stderr
    assert "cpu-lowmem" not in load_config(path).config.backend.plugins


def test_a_typo_in_a_section_of_an_installed_plugin_stays_an_error(run_cli, tmp_path):
    path = tmp_path / "neat.json"
    run_cli("config", "init", str(path))
    data = json.loads(path.read_text())
    data["backend"]["cpu"]["thraeds"] = 2
    path.write_text(json.dumps(data))
    result = run_cli("config", "validate", str(path))
    assert result.exit_code == 2
    assert "unknown config key 'backend.cpu.thraeds' (did you mean \"backend.cpu.threads\"?)" in \
        result.stderr


def test_a_blocked_plugin_s_sections_are_left_out_naming_why(run_cli, tmp_path, monkeypatch):
    path = tmp_path / "neat.json"
    run_cli("config", "init", str(path))
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "cpu")
    neat_core.reset_plugins()
    result = run_cli("config", "validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert "ignoring section 'backend.cpu' of plugin 'cpu'" in result.stderr
    assert "which is blocked (NEAT_PLUGINS_BLOCK)" in result.stderr


def test_a_file_without_the_record_still_refuses_an_unknown_section(tmp_path):
    path = tmp_path / "neat.json"
    path.write_text(json.dumps({"backend": {"cpu-lowmem": {"threads": 2}}}))
    with pytest.raises(ConfigError, match="unknown config key 'backend.cpu-lowmem'"):
        load_config(path)


def test_a_malformed_record_is_a_config_error(tmp_path):
    path = tmp_path / "neat.json"
    path.write_text(json.dumps({"plugins": {"lowmem": ["backend.cpu-lowmem"]}}))
    with pytest.raises(ConfigError, match="'plugins' must map plugin names"):
        load_config(path)


def test_plugins_and_extends_are_reserved_section_names(caplog):
    @hookimpl
    def register_config_sections(register):
        register("plugins", config_class=Fine)
        register("extends", config_class=Fine)
        register("shared", config_class=Fine)

    with plugin_registered(types.SimpleNamespace(
            register_config_sections=register_config_sections), "reserving"):
        assert set(neat_core.get_registry().sections) >= {"shared"}
        assert not {"plugins", "extends"} & set(neat_core.get_registry().sections)
    assert "clashes with the core config key plugins" in caplog.text
    assert "clashes with the core config key extends" in caplog.text


def test_the_json_schema_accepts_the_record():
    record = config_json_schema()["properties"]["plugins"]
    assert record["type"] == "object"
    assert set(record["additionalProperties"]["properties"]) == {"distribution", "version",
                                                                 "sections"}


def test_a_run_directory_s_config_records_the_plugins(tmp_path):
    from neat_core.training import RunDirectory

    run = RunDirectory(tmp_path / "run")
    run.path.mkdir()
    with plugin_registered(LOWMEM, "lowmem"):
        run.write_config(load_config().config)
        data = json.loads((run.path / "config.json").read_text())
        assert data["plugins"]["lowmem"]["sections"] == ["backend.cpu-lowmem",
                                                         "callbacks.note"]
    config = load_config(run.path / "config.json").config  # a run's config, reused
    assert "cpu-lowmem" not in config.backend.plugins


def test_a_checkpoint_names_the_plugin_of_a_section_it_leaves_out(tmp_path, caplog):
    from neat_core.api import load_checkpoint

    with plugin_registered(LOWMEM, "lowmem"):
        checkpoint = tiny_blt(tmp_path / "ckpt")
    meta = json.loads((checkpoint / "meta.json").read_text())
    assert meta["plugins"]["lowmem"]["sections"] == ["backend.cpu-lowmem", "callbacks.note"]
    caplog.set_level("INFO", logger="neat.config")
    loaded = load_checkpoint(checkpoint)
    assert "cpu-lowmem" not in loaded.config.backend.plugins
    assert "backend.cpu-lowmem of plugin 'lowmem'" in caplog.text

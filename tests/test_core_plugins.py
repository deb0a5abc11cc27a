"""The plugin host: entry-point discovery, isolation, allow/block lists, clashes, hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest

import neat_core
from neat_core import hookimpl
from neat_core.errors import PluginError
from neat_core.plugins import plugin_infos
from neat_core.testing import plugin_registered
from neat_plugins.blt.entropy_model.settings import BltEntropyConfig

from .plugin_dists import install, make_distribution

THIRD_PARTY = '''
import click
from neat_core import hookimpl

class Shout:
    def write(self, results, out_dir):
        print("SHOUT", results)

@hookimpl
def register_reports(register):
    register("shout", Shout, description="prints results loudly")

@hookimpl
def register_commands(cli):
    @cli.command("hello")
    def hello():
        """Say hello from a third-party plugin."""
        click.echo("hello from the third party")
'''

BROKEN_ON_IMPORT = '''
raise RuntimeError("this plugin is broken")
'''

BROKEN_ON_REGISTER = '''
from neat_core import hookimpl

@hookimpl
def register_reports(register):
    raise ValueError("cannot register")
'''


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    root = make_distribution(tmp_path / "site", "neat-thirdparty-shout",
                             {"neat_thirdparty_shout": THIRD_PARTY},
                             {"shout": "neat_thirdparty_shout"}, version="2.5")
    install(monkeypatch, root)
    return root


@pytest.fixture
def broken(tmp_path, monkeypatch):
    root = make_distribution(tmp_path / "broken", "neat-thirdparty-broken",
                             {"neat_thirdparty_broken": BROKEN_ON_IMPORT,
                              "neat_thirdparty_badreg": BROKEN_ON_REGISTER},
                             {"broken": "neat_thirdparty_broken",
                              "badreg": "neat_thirdparty_badreg"})
    install(monkeypatch, root)
    return root


def test_builtin_plugins_come_through_entry_points(run_cli):
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0
    blt = next(p for p in json.loads(result.stdout) if p["name"] == "blt")
    assert blt["distribution"] == "neat-entropy" and blt["status"] == "loaded"
    assert "register_models" in blt["hooks"]
    assert blt["registered"]["models"] == ["blt-entropy", "blt"]
    assert neat_core.get_registry().models["blt-entropy"].plugin == "blt"


def test_a_third_party_distribution_is_discovered_listed_and_used(third_party, run_cli):
    registry = neat_core.get_registry()
    assert registry.reports["shout"].plugin == "shout"
    listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json").stdout)}
    assert listed["shout"]["distribution"] == "neat-thirdparty-shout"
    assert listed["shout"]["version"] == "2.5"
    assert listed["shout"]["registered"] == {"reports": ["shout"], "commands": ["hello"]}
    assert sorted(listed["shout"]["hooks"]) == ["register_commands", "register_reports"]
    result = run_cli("hello")
    assert result.exit_code == 0 and "hello from the third party" in result.stdout
    assert "hello" in run_cli("--help").stdout


def test_a_broken_plugin_is_isolated_with_one_warning(broken, run_cli, caplog):
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("plugin 'broken' failed while loading: RuntimeError: this plugin is broken" in w
               for w in warnings)
    assert any("plugin 'badreg' failed while running register_reports: ValueError" in w
               for w in warnings)
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["broken"]["status"] == "failed"
    assert "this plugin is broken" in listed["broken"]["error"]
    assert listed["blt"]["status"] == "loaded"
    assert run_cli("config", "show").exit_code == 0
    assert "blt-entropy" in neat_core.get_registry().models


def test_strict_mode_makes_a_broken_plugin_an_error(broken, run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_STRICT", "1")
    result = run_cli("config", "show")
    assert result.exit_code == 2
    assert "plugin 'broken' failed while loading" in result.stderr


def test_block_list_skips_plugins_including_builtins(broken, run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "broken,badreg,blt")
    result = run_cli("plugins", "--all", "--json")
    assert result.exit_code == 0 and "warning" not in result.stderr
    status = {p["name"]: p["status"] for p in json.loads(result.stdout)}
    assert status["broken"] == status["blt"] == "blocked"
    assert "blt-entropy" not in neat_core.get_registry().models
    assert "blt" not in {p["name"] for p in json.loads(run_cli("plugins", "--json").stdout)}


def test_allow_list_loads_only_named_plugins_and_warns_about_unknown_names(
        third_party, run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_ALLOW", "shout,nonexistent")
    result = run_cli("plugins", "--all", "--json")
    assert result.exit_code == 0
    assert "NEAT_PLUGINS_ALLOW names 'nonexistent', but no installed plugin has that name" in result.stderr
    status = {p["name"]: p["status"] for p in json.loads(result.stdout)}
    assert status["shout"] == "loaded" and status["blt"] == "not-allowed"


def _model_plugin(name: str, override: bool = False) -> types.SimpleNamespace:
    from neat_plugins.blt.entropy_model.settings import BltEntropyConfig

    @hookimpl
    def register_models(register):
        register("blt-entropy", lambda config: None, config_class=BltEntropyConfig,
                 description=name, override=override)

    return types.SimpleNamespace(register_models=register_models)


def test_a_duplicate_name_keeps_the_first_plugin_and_reports_the_later(run_cli):
    with plugin_registered(_model_plugin("copycat"), name="copycat"):
        result = run_cli("plugins", "--json")
        entry = neat_core.get_registry().models["blt-entropy"]
        assert entry.plugin == "blt"  # loaded first, although pluggy calls copycat first
        assert result.exit_code == 0
        assert ("plugin 'copycat' failed while registering model 'blt-entropy': model "
                "'blt-entropy' is registered by both plugin 'blt' and plugin 'copycat'; 'blt' "
                "keeps it") in result.stderr
        assert "NEAT_PLUGINS_BLOCK=copycat" in result.stderr
        listed = {p["name"]: p for p in json.loads(result.stdout)}
        assert listed["copycat"]["status"] == "failed" and listed["blt"]["status"] == "loaded"
        assert run_cli("config", "show").exit_code == 0


def test_strict_mode_makes_a_clash_an_error(run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_STRICT", "1")
    with plugin_registered(_model_plugin("copycat"), name="copycat"):
        with pytest.raises(PluginError, match="registered by both plugin 'blt' and plugin "
                                              "'copycat'"):
            neat_core.get_registry()


DEFAULT_MODEL = '''
from neat_core.api import ModelConfig, frozen, hookimpl

@frozen
class TinyConfig(ModelConfig):
    pass

@hookimpl
def register_models(register):
    register("tiny", lambda config: None, config_class=TinyConfig, default=True)
'''


def test_an_installed_plugins_default_wins_over_a_builtin_default(tmp_path, monkeypatch):
    """Whatever the order plugins load in: here the third party loads first, so pluggy
    calls it last."""
    from neat_core.config import default_config
    from neat_core.plugins import load_order

    install(monkeypatch, make_distribution(tmp_path / "site", "neat-thirdparty-tiny",
                                           {"neat_thirdparty_tiny": DEFAULT_MODEL},
                                           {"tiny": "neat_thirdparty_tiny"}))
    registry = neat_core.get_registry()
    assert load_order("tiny") < load_order("blt")
    assert registry.models["blt-entropy"].default and registry.models["tiny"].default
    assert registry.default_name("models") == "tiny"
    assert default_config().model.name == "tiny"


def test_override_true_replaces_a_name():
    with plugin_registered(_model_plugin("replacement", override=True), name="replacement"):
        entry = neat_core.get_registry().models["blt-entropy"]
        assert (entry.plugin, entry.description) == ("replacement", "replacement")


class _EveryHook:
    """One plugin implementing every registration hook."""

    @hookimpl
    def register_backends(self, register):
        register("test-backend", lambda: "backend", description="b")

    @hookimpl
    def register_models(self, register):
        from neat_plugins.blt.entropy_model.settings import BltEntropyConfig

        register("test-model", lambda config: "model", config_class=BltEntropyConfig)

    @hookimpl
    def register_trainers(self, register):
        register("test-trainer", lambda config, backend: "trainer")

    @hookimpl
    def register_evaluators(self, register):
        register("test-evaluator", lambda model, config, backend: "evaluator")

    @hookimpl
    def register_reports(self, register):
        register("test-report", lambda: "report")

    @hookimpl
    def register_commands(self, cli):
        import click

        cli.add_command(click.Command("test-command", callback=lambda: click.echo("ran")))


@pytest.mark.parametrize("kind, name", [("backends", "test-backend"), ("models", "test-model"),
                                        ("trainers", "test-trainer"),
                                        ("evaluators", "test-evaluator"),
                                        ("reports", "test-report")])
def test_each_registration_hook_records_the_plugin(kind, name):
    with plugin_registered(_EveryHook(), name="every-hook"):
        entry = neat_core.get_registry().kind(kind)[name]
        assert entry.plugin == "every-hook" and entry.kind == kind
        info = next(i for i in plugin_infos() if i.name == "every-hook")
        assert name in info.registered[kind]
    assert name not in neat_core.get_registry().kind(kind)


def test_register_commands_hook_adds_and_removes_commands(run_cli):
    with plugin_registered(_EveryHook(), name="every-hook"):
        assert run_cli("test-command").stdout == "ran\n"
    assert run_cli("test-command").exit_code == 2


def test_a_model_without_config_class_is_rejected_and_the_rest_works(run_cli):
    @hookimpl
    def register_models(register):
        register("no-config", lambda config: None)
        register("other", lambda config: None, config_class=BltEntropyConfig)

    with plugin_registered(types.SimpleNamespace(register_models=register_models), name="nocfg"):
        registry = neat_core.get_registry()
        assert "no-config" not in registry.models and "other" in registry.models
        info = next(i for i in plugin_infos() if i.name == "nocfg")
        assert info.status == "failed" and "needs config_class" in info.error
        assert run_cli("plugins").exit_code == 0
        result = run_cli("train", "--model", "no-config")
        assert result.exit_code == 2
        assert "'no-config' was rejected at registration: model 'no-config' needs " \
               "config_class" in result.stderr


def test_unknown_names_list_the_registered_ones():
    with pytest.raises(neat_core.errors.UsageError) as error:
        neat_core.get_registry().get("models", "blt-entropi")
    assert 'did you mean "blt-entropy"' in error.value.one_line()
    assert "registered models: blt, blt-entropy" in error.value.one_line()


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["plugins", "--json"], ["config", "show"]])
def test_cli_start_up_never_imports_torch(args, third_party):
    heavy = ("torch", "pyarrow", "zstandard", "tensorboard")
    code = ("import sys\nfrom neat_core.cli import cli\n"
            f"try:\n    cli({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"imported = [m for m in {heavy!r} if m in sys.modules]\n"
            "assert not imported, f'{imported} imported'\n")
    env = {**os.environ, "PYTHONPATH": str(third_party)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_the_installed_console_script_lists_a_third_party_plugin(third_party):
    neat = os.path.join(os.path.dirname(sys.executable), "neat")
    env = {**os.environ, "PYTHONPATH": str(third_party)}
    result = subprocess.run([neat, "plugins"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "shout  (neat-thirdparty-shout 2.5)  [loaded]" in result.stdout


EXITS_AT_IMPORT = '''
import sys
sys.exit(3)
'''


def test_a_plugin_that_exits_at_import_does_not_end_every_command(tmp_path, monkeypatch,
                                                                    run_cli):
    root = make_distribution(tmp_path / "site", "neat-thirdparty-exit",
                             {"neat_thirdparty_exit": EXITS_AT_IMPORT},
                             {"exiter": "neat_thirdparty_exit"})
    install(monkeypatch, root)
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0
    assert "plugin 'exiter' failed while loading: SystemExit: 3" in result.stderr
    assert run_cli("config", "show").exit_code == 0


def test_strict_mode_gives_one_line_not_a_traceback(broken, run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_STRICT", "1")
    helped = run_cli("--help")
    assert helped.exit_code == 0 and "Traceback" not in helped.output
    listed = run_cli("plugins", "--json")  # always runs: it shows what failed
    assert listed.exit_code == 0
    assert {p["name"]: p["status"] for p in json.loads(listed.stdout)}["broken"] == "failed"
    shown = run_cli("config", "show")
    assert shown.exit_code == 2 and "Traceback" not in shown.output
    assert "NEAT_PLUGINS_STRICT=1 refuses to run with a failed plugin" in shown.stderr


def test_unknown_names_in_the_block_list_are_warned_about(run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "blt,bltt")
    result = run_cli("plugins")
    assert "NEAT_PLUGINS_BLOCK names 'bltt', but no installed plugin has that name" \
        in result.stderr


def test_allowing_only_the_cpu_backend_still_lists_backends(run_cli, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_ALLOW", "cpu")
    result = run_cli("backends")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("cpu  [available")

"""The plugin platform: hooks through pluggy (order, wrappers), plugin settings of every
kind, contracts checked at the edge, a core that works without the blt plugin."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest
import torch

import neat_core
from neat_core import hookimpl
from neat_core.config import CallbackConfig, ModelConfig, Settings, frozen, load_config, setting
from neat_core.errors import PluginError
from neat_core.plugins import get_plugin_manager, plugin_infos
from neat_core.testing import plugin_registered

from .blt_util import one_torch_thread  # noqa: F401 - autouse fixture
from .train_utils import CORPUS, set_args, tiny_settings

# --- a third-party model: next-byte logits from the current byte only ------------------


@frozen
class BigramConfig(ModelConfig):
    block_size: int = setting(16, min=2, help="Context length in bytes.")
    width: int = setting(8, min=1, help="Embedding width.")


class Bigram(torch.nn.Module):
    def __init__(self, config: BigramConfig, vocabulary: int = 256, flat: bool = False) -> None:
        super().__init__()
        self.config, self.flat = config, flat
        self.embed = torch.nn.Embedding(256, config.width)
        self.head = torch.nn.Linear(config.width, vocabulary)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.embed(idx))
        return logits[:, -1] if self.flat else logits


def model_plugin(**build: Any) -> types.SimpleNamespace:
    @hookimpl
    def register_models(register):
        register("bigram", lambda config: Bigram(config, **build), config_class=BigramConfig,
                 description="third-party bigram")

    return types.SimpleNamespace(register_models=register_models)


def train_args(tmp_path: Path, **settings: Any) -> list[str]:
    values = tiny_settings(tmp_path / "run", tmp_path / "cache", **settings)
    values = {k: v for k, v in values.items()
              if not k.startswith("model.") or k == "model.block_size"}
    return ["train", "--model", "bigram", *set_args(values)]


# --- hooks behave as pluggy documents ----------------------------------------------------

def recording_plugin(name: str, calls: list[str], **marker: Any) -> types.SimpleNamespace:
    @hookimpl(**marker)
    def register_reports(register):
        calls.append(name)
        register(f"report-{name}", lambda config: None)

    return types.SimpleNamespace(register_reports=register_reports)


def test_tryfirst_and_trylast_order_the_calls():
    calls: list[str] = []
    with plugin_registered(recording_plugin("last", calls, trylast=True), "last"), \
            plugin_registered(recording_plugin("plain", calls), "plain"), \
            plugin_registered(recording_plugin("first", calls, tryfirst=True), "first"):
        registry = neat_core.get_registry()
    assert calls.index("first") < calls.index("plain") < calls.index("last")
    assert registry.reports["report-first"].plugin == "first"


def test_a_wrapper_runs_around_the_other_implementations():
    calls: list[str] = []

    @hookimpl(wrapper=True)
    def register_reports(register):
        calls.append("before")
        result = yield
        calls.append("after")
        return result

    with plugin_registered(recording_plugin("plain", calls), "plain"), \
            plugin_registered(types.SimpleNamespace(register_reports=register_reports), "wrap"):
        neat_core.get_registry()
    assert calls[0] == "before" and calls[-1] == "after" and "plain" in calls


def test_a_failing_wrapper_is_isolated_and_the_wrapped_call_still_runs(caplog):
    calls: list[str] = []

    @hookimpl(wrapper=True)
    def register_reports(register):
        raise ValueError("broken wrapper")
        yield  # makes it a generator

    with plugin_registered(recording_plugin("plain", calls), "plain"), \
            plugin_registered(types.SimpleNamespace(register_reports=register_reports), "bad"):
        assert "report-plain" in neat_core.get_registry().reports
    assert "plugin 'bad' failed while running register_reports: ValueError: broken wrapper" \
        in caplog.text


def test_an_old_style_hookwrapper_is_refused_with_a_clear_error():
    @hookimpl(hookwrapper=True)
    def register_reports(register):
        yield

    plugin = types.SimpleNamespace(register_reports=register_reports)
    with pytest.raises(PluginError, match="hookwrapper=True, which NEAT does not support"):
        neat_core.register_plugin(plugin, "old-style")
    assert get_plugin_manager().get_plugin("old-style") is None


# --- settings for every kind of plugin ---------------------------------------------------

@frozen
class BackendSettings(Settings):
    speed: int = setting(1, min=1, help="How fast.")


@frozen
class EvaluatorSettings(Settings):
    byte: int = setting(10, min=0, max=255, help="The byte value to count.")


@frozen
class SourceSettings(Settings):
    field: str = setting("text", help="The JSON field that holds the text.")


@frozen
class SectionSettings(Settings):
    level: int = setting(3, help="A shared level.")


class EveryKind:
    @hookimpl
    def register_backends(self, register):
        register("fast", lambda: None, config_class=BackendSettings)

    @hookimpl
    def register_evaluators(self, register):
        register("count", lambda model, config, backend: None,
                 config_class=EvaluatorSettings)

    @hookimpl
    def register_reports(self, register):
        register("fancy", lambda config: None, config_class=SectionSettings)

    @hookimpl
    def register_training_callbacks(self, register):
        register("log-csv", lambda config, run_dir: None)

    @hookimpl
    def register_data_sources(self, register):
        register("jsonish", lambda config: None, config_class=SourceSettings)

    @hookimpl
    def register_config_sections(self, register):
        register("shared", config_class=BackendSettings)


def test_each_kind_gets_its_section_in_the_one_schema(run_cli):
    with plugin_registered(EveryKind(), "every-kind"):
        resolved = load_config(overrides={"backend.fast.speed": 3,
                                          "evaluators.count.byte": 32,
                                          "data.jsonish.field": "body",
                                          "callbacks.log-csv.enabled": False})
        config = resolved.config
        assert config.backend.plugins["fast"].speed == 3
        assert config.evaluators["count"].byte == 32
        assert config.settings(SourceSettings).field == "body"
        assert config.callbacks["log-csv"].enabled is False
        assert config.settings(SectionSettings) == SectionSettings()  # reports.fancy
        assert resolved.sources["evaluators.count.byte"] == "api"
        shown = run_cli("config", "show", "--explain", "--set", "backend.fast.speed=2")
        assert "backend.fast.speed" in shown.stdout and "# --set" in shown.stdout
        assert "reports.fancy.level" in shown.stdout and "shared.speed" in shown.stdout
        bad = run_cli("config", "show", "--set", "evaluators.count.byte=300")
        assert bad.exit_code == 2 and "'evaluators.count.byte' must be at most 255" in bad.stderr
        typo = run_cli("config", "show", "--set", "evaluators.count.bite=3")
        assert typo.exit_code == 2 and 'did you mean "evaluators.count.byte"' in typo.stderr
        schema = json.loads(run_cli("config", "schema").stdout)
        assert schema["properties"]["evaluators"]["properties"]["count"]["properties"][
            "byte"]["maximum"] == 255
    assert run_cli("config", "show", "--set", "backend.fast.speed=2").exit_code == 2


def test_every_registered_thing_is_listed_by_neat_plugins(run_cli):
    with plugin_registered(EveryKind(), "every-kind"):
        listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json").stdout)}
    assert listed["every-kind"]["registered"] == {
        "backends": ["fast"], "evaluators": ["count"], "reports": ["fancy"],
        "callbacks": ["log-csv"], "data_sources": ["jsonish"], "sections": ["shared"]}
    assert listed["blt"]["registered"]["commands"] == ["patch", "study", "import", "export"]
    assert listed["blt"]["registered"]["interactive_commands"] == [
        "mode", "threshold", "relative", "size", "target", "min", "max", "patches"]


@frozen
class Mutable(Settings):
    x: int = setting(1, help="x")


def _attrs_class(*, frozen: bool = True, bases: tuple[type, ...] = (Settings,),
                 **fields: Any) -> type:
    import attrs

    return attrs.make_class("Checked", fields, bases=bases, frozen=frozen)


@pytest.mark.parametrize("make, rule", [
    (lambda: types.new_class("Plain"), "must be an attrs class"),
    (lambda: _attrs_class(frozen=False, bases=(), x=setting(1, help="x")),
     "must be frozen: decorate it with @neat_core.config.frozen"),
    (lambda: _attrs_class(bases=(), x=setting(1, help="x")),
     "must derive from neat_core.config.Settings"),
    (lambda: _attrs_class(x=__import__("attrs").field(default=1)),
     "field 'x' has no help text"),
    (lambda: _attrs_class(x=setting(default=b"", help="bytes")), "which a config cannot hold"),
    (lambda: EvaluatorSettings, None),
])
def test_a_settings_class_breaking_a_rule_is_rejected_naming_it(make, rule, caplog):
    cls = make()

    @hookimpl
    def register_evaluators(register):
        register("ruled", lambda model, config, backend: None, config_class=cls)

    with plugin_registered(types.SimpleNamespace(register_evaluators=register_evaluators),
                           "ruled"):
        accepted = "ruled" in neat_core.get_registry().evaluators
    assert accepted == (rule is None)
    if rule:
        assert "plugin 'ruled' failed while registering evaluator 'ruled'" in caplog.text
        assert rule in caplog.text


def test_a_model_config_must_derive_from_model_config(caplog):
    @hookimpl
    def register_models(register):
        register("wrong-base", lambda config: None, config_class=Mutable)

    with plugin_registered(types.SimpleNamespace(register_models=register_models), "wb"):
        assert "wrong-base" not in neat_core.get_registry().models
    assert "must derive from neat_core.config.ModelConfig" in caplog.text


def test_a_callback_settings_class_must_derive_from_callback_config(caplog):
    @hookimpl
    def register_training_callbacks(register):
        register("cb", lambda config, run_dir: None, config_class=Mutable)
        register("ok", lambda config, run_dir: None, config_class=_OptIn)

    with plugin_registered(types.SimpleNamespace(
            register_training_callbacks=register_training_callbacks), "cbs"):
        callbacks = neat_core.get_registry().callbacks
        assert "cb" not in callbacks and "ok" in callbacks
        assert load_config().config.callbacks["ok"].enabled is False
    assert "must derive from neat_core.config.CallbackConfig" in caplog.text


@frozen
class _OptIn(CallbackConfig):
    enabled: bool = setting(False, help="Opt in.")


def test_a_plugin_name_may_not_shadow_a_core_key(caplog):
    @hookimpl
    def register_backends(register):
        register("mixed_precision", lambda: None, config_class=BackendSettings)

    with plugin_registered(types.SimpleNamespace(register_backends=register_backends), "sh"):
        assert "mixed_precision" not in neat_core.get_registry().backends
    assert "clashes with the core config key backend.mixed_precision" in caplog.text


# --- contracts checked at the edge -------------------------------------------------------

@pytest.mark.parametrize("build, message", [
    ({"vocabulary": 128}, "must return logits of shape [1, 8, 256] (batch, time, byte "
                          "values), got [1, 8, 128]"),
    ({"flat": True}, "got [1, 256]"),
])
def test_a_model_breaking_the_output_contract_is_an_error_naming_the_plugin(
        build, message, run_cli, tmp_path):
    with plugin_registered(model_plugin(**build), "bigram-plugin"):
        result = run_cli(*train_args(tmp_path))
    assert result.exit_code == 2
    assert "error: model 'bigram' of plugin 'bigram-plugin' breaks the model contract" \
        in result.stderr and message in result.stderr
    assert "please report it" not in result.stderr


def test_a_trainer_without_the_result_keys_is_an_error_naming_the_plugin(run_cli, tmp_path):
    class Lazy:
        def __init__(self, config, backend):
            pass

        def run(self, resume=None):
            return {"step": 0}

    @hookimpl
    def register_trainers(register):
        register("lazy", Lazy)

    with plugin_registered(types.SimpleNamespace(register_trainers=register_trainers), "lz"):
        result = run_cli("train", "--set", "training.trainer=lazy",
                         "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert "trainer 'lazy' of plugin 'lz' broke the trainer contract: missing 'elapsed_s'" \
        in result.stderr


def test_a_model_may_bring_its_own_loss(tmp_path):
    class HalfLoss(Bigram):
        calls = 0

        def forward(self, idx, targets=None):
            logits = super().forward(idx)
            if targets is None:
                return logits
            HalfLoss.calls += 1
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256),
                                                     targets.reshape(-1))
            return logits, loss * 0.5

    @hookimpl
    def register_models(register):
        register("half", HalfLoss, config_class=BigramConfig)

    values = tiny_settings(tmp_path / "run", tmp_path / "cache")
    values = {k: v for k, v in values.items()
              if not k.startswith("model.") or k == "model.block_size"}
    with plugin_registered(types.SimpleNamespace(register_models=register_models), "half"):
        config = load_config(overrides={**values, "model.name": "half"}).config
        result = neat_core.train(config)
    assert HalfLoss.calls > config.training.max_steps  # the check, then every step
    assert result["step"] == config.training.max_steps


# --- the core without the blt plugin -----------------------------------------------------

def test_without_the_blt_plugin_core_commands_work_and_another_model_trains(
        run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "blt")
    neat_core.reset_plugins()
    shown = run_cli("config", "show")
    assert shown.exit_code == 0, shown.stderr
    assert 'model.name                           = ""' in shown.stdout
    assert "patching" not in shown.stdout
    for command in (["plugins"], ["backends"], ["config", "schema"], ["data", "inspect"]):
        assert run_cli(*command).exit_code == 0, command
    untrained = run_cli("train", "--output-dir", str(tmp_path / "none"))
    assert untrained.exit_code == 2 and "no model is selected" in untrained.stderr
    with plugin_registered(model_plugin(), "bigram-plugin"):
        trained = run_cli(*train_args(tmp_path))
        assert trained.exit_code == 0, trained.stderr
        assert "trained to step 4" in trained.stdout
        results = neat_core.evaluate(tmp_path / "run", data=[__file__])
        assert results["checkpoint"]["model"] == "bigram"
        assert results["results"]["bits-per-byte"]["overall"]["bits_per_byte"] > 0
        bench = run_cli("bench", "--model", "bigram", "--backend", "cpu", "--steps", "1",
                        "--infer-batches", "1", "--json",
                        *set_args({"data.train": [CORPUS],
                                   "data.cache_dir": str(tmp_path / "cache"),
                                   "training.batch_size": 2}))
        assert bench.exit_code == 0, bench.stderr
        assert json.loads(bench.stdout)[0]["train_bytes_per_second"] > 0
    assert not any(info.name == "blt" and info.status == "loaded" for info in plugin_infos())


def test_the_python_api_takes_a_run_directory_like_the_cli(tmp_path):
    with plugin_registered(model_plugin(), "bigram-plugin"):
        values = tiny_settings(tmp_path / "run", tmp_path / "cache")
        values = {k: v for k, v in values.items()
                  if not k.startswith("model.") or k == "model.block_size"}
        neat_core.train(load_config(overrides={**values, "model.name": "bigram"}).config)
        from_run = neat_core.evaluate(tmp_path / "run", data=[__file__])
        best = neat_core.evaluate(tmp_path / "run" / "checkpoints" / "best", data=[__file__])
    assert from_run["results"] == best["results"]


def test_a_plugin_adds_a_command_to_the_interactive_analysis(run_cli, tmp_path):
    from .eval_helpers import tiny_blt  # a real checkpoint of a tiny blt-entropy model

    @hookimpl
    def register_interactive_commands(register):
        register("wide", lambda config, argument: {"eval.preview_bytes": int(argument)},
                 description="preview this many bytes")

    ckpt = tiny_blt(tmp_path / "ckpt")
    plugin = types.SimpleNamespace(register_interactive_commands=register_interactive_commands)
    with plugin_registered(plugin, "wide-plugin"):
        result = run_cli("analyze", str(ckpt), "-i", input="abc\n:wide 7\n:help\n:wide x\n")
    assert result.exit_code == 0, result.stderr
    assert "eval.preview_bytes = 7" in result.stdout
    assert ":wide" in result.stdout and "preview this many bytes" in result.stdout
    assert "error: interactive command ':wide' of plugin 'wide-plugin' failed: ValueError" \
        in result.stderr  # a crashing command is reported, and the session goes on


def test_a_checkpoint_with_settings_of_an_absent_plugin_still_loads(tmp_path):
    from neat_core.checkpoint import load_checkpoint

    from .eval_helpers import tiny_blt

    with plugin_registered(EveryKind(), "every-kind"):
        ckpt = tiny_blt(tmp_path / "ckpt")
        saved = json.loads((ckpt / "config.json").read_text())
        assert saved["evaluators"]["count"] == {"byte": 10}
    loaded = load_checkpoint(ckpt)  # the plugin is gone: its sections are left out
    assert "count" not in loaded.config.evaluators
    assert neat_core.evaluate(ckpt, data=[__file__])["checkpoint"]["model"] == "blt-entropy"


class _Crashing:
    """A third-party evaluator and report that raise inside their own code."""

    @hookimpl
    def register_evaluators(self, register):
        register("crashes", lambda model, config, backend: self)

    @hookimpl
    def register_reports(self, register):
        register("crash-report", lambda config: self)

    def evaluate(self, documents):
        raise ZeroDivisionError("evaluator bug")

    def write(self, results, out_dir):
        raise KeyError("report bug")


@pytest.mark.parametrize("args, message", [
    (["--set", "eval.evaluators=crashes"],
     "evaluator 'crashes' of plugin 'crashing' failed: ZeroDivisionError: evaluator bug"),
    (["--report", "crash-report"],
     "report 'crash-report' of plugin 'crashing' failed: KeyError: 'report bug'"),
])
def test_a_crashing_evaluator_or_report_is_named(args, message, run_cli, tmp_path):
    from .eval_helpers import tiny_blt

    ckpt = tiny_blt(tmp_path / "ckpt")
    with plugin_registered(_Crashing(), "crashing"):
        result = run_cli("eval", str(ckpt), "--data", __file__, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert "please report it" not in result.stderr


def test_the_default_corpus_comes_from_a_data_source(run_cli, monkeypatch):
    assert load_config().config.data.train == ["builtin:python-stdlib"]
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "data")
    neat_core.reset_plugins()
    assert load_config().config.data.train == []
    result = run_cli("data", "inspect")
    assert result.exit_code == 2 and "data.train lists no sources" in result.stderr

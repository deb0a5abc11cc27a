"""One test per hook of neat_core/hookspecs.py, named ``test_hook_<hook>`` (the
meta-test in test_hooks_documented.py checks the names): a plugin implementing the hook
is registered as a program registers one, and its effect is seen through the commands a
user runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import click
import pytest
import torch

from neat_core import hookimpl
from neat_core.api import Backend, DataUnit, SourceDocument
from neat_core.checkpoint import load_checkpoint
from neat_core.config import CallbackConfig, ModelConfig, Settings, frozen, load_config, setting
from neat_core.errors import UsageError
from neat_core.testing import plugin_registered
from neat_core.training import RunDirectory, read_metrics

from .blt_util import one_torch_thread  # noqa: F401 - autouse fixture
from .eval_helpers import SuccessorPlugin, save
from .train_utils import set_args, tiny_settings

TEXT = b"Hello, World! Bytes in, BITS out.\n"


@pytest.fixture
def checkpoint(tmp_path):
    """A checkpoint of the successor model (eval_helpers), its plugin registered."""
    with plugin_registered(SuccessorPlugin(), "successor-model"):
        yield save(tmp_path / "ckpt", peak=8.0)


@pytest.fixture
def text_file(tmp_path) -> Path:
    path = tmp_path / "text.txt"
    path.write_bytes(TEXT)
    return path


def train_settings(tmp_path: Path, **settings: Any) -> list[str]:
    """--set arguments of a tiny run, without the blt model's fields."""
    values = tiny_settings(tmp_path / "run", tmp_path / "cache", **settings)
    return set_args({key: value for key, value in values.items()
                     if not key.startswith("model.") or key == "model.block_size"})


# --- register_backends -------------------------------------------------------------------

class ReservedCpu(Backend):
    name = "reserved-cpu"
    device_type = "cpu"
    description = "the CPU, reserved by a test"
    auto_priority = 1000  # above every built-in: what `auto` picks

    def is_available(self) -> tuple[bool, str]:
        return True, "reserved for this test"


class BackendPlugin:
    @hookimpl
    def register_backends(self, register):
        register(ReservedCpu.name, ReservedCpu, description=ReservedCpu.description)


def backend_rows(run_cli) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in json.loads(run_cli("backends", "--json").stdout)}


def test_hook_register_backends(run_cli):
    with plugin_registered(BackendPlugin(), "reserved-backend"):
        rows = backend_rows(run_cli)
    row = rows["reserved-cpu"]
    assert (row["plugin"], row["description"]) == ("reserved-backend", ReservedCpu.description)
    assert (row["available"], row["reason"]) == (True, "reserved for this test")
    assert row["settings"]["device"] == "cpu"
    assert row["auto"] and not rows["cpu"]["auto"]  # auto now picks it
    assert "reserved-cpu" not in backend_rows(run_cli)


# --- register_models ---------------------------------------------------------------------

@frozen
class UnigramConfig(ModelConfig):
    block_size: int = setting(16, min=2, help="Context length in bytes.")


class Unigram(torch.nn.Module):
    """The same next-byte logits whatever the context: the byte frequencies."""

    def __init__(self, config: UnigramConfig) -> None:
        super().__init__()
        self.config = config
        self.logits = torch.nn.Parameter(torch.zeros(256))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(*idx.shape, 256)


class ModelPlugin:
    @hookimpl
    def register_models(self, register):
        register("unigram", Unigram, config_class=UnigramConfig,
                 description="byte frequencies")


def test_hook_register_models(run_cli, tmp_path):
    with plugin_registered(ModelPlugin(), "unigram-model"):
        result = run_cli("train", "--model", "unigram", *train_settings(tmp_path))
        assert result.exit_code == 0, result.stderr
        saved = load_checkpoint(RunDirectory(tmp_path / "run").latest())
        model = saved.build_model()
    assert "trained to step 4" in result.stdout
    assert saved.meta["model"] == "unigram" and isinstance(model, Unigram)
    assert model.logits.abs().sum() > 0  # trained away from its zero start


# --- register_trainers -------------------------------------------------------------------

class TrainerPlugin:
    def __init__(self) -> None:
        self.runs: list[tuple[int, str, Any]] = []

    @hookimpl
    def register_trainers(self, register):
        register("recorder", lambda config, backend: Recorder(self, config, backend))


class Recorder:
    """A trainer that trains nothing and says what it was given."""

    def __init__(self, plugin: TrainerPlugin, config: Any, backend: Any) -> None:
        self.plugin, self.config, self.backend = plugin, config, backend

    def run(self, resume=None):
        self.plugin.runs.append((self.config.training.max_steps, self.backend.name, resume))
        return {"step": self.config.training.max_steps, "elapsed_s": 0.5, "session_s": 0.5,
                "bytes_per_second": 1000.0, "output_dir": self.config.run.output_dir,
                "checkpoint": None}


def test_hook_register_trainers(run_cli, tmp_path):
    plugin = TrainerPlugin()
    with plugin_registered(plugin, "recorder-trainer"):
        result = run_cli("train", "--set", "training.trainer=recorder", "--max-steps", "7",
                         "--backend", "cpu", "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 0, result.stderr
    assert plugin.runs == [(7, "cpu", None)]
    assert "trained to step 7" in result.stdout


# --- register_evaluators -----------------------------------------------------------------

@frozen
class LettersSettings(Settings):
    case: Literal["any", "upper", "lower"] = setting("any", help="Which letters count.")


class Letters:
    """Counts the letters of the documents; reports the model's peak logit too."""

    def __init__(self, model: Any, config: Any) -> None:
        self.model, self.case = model, config.settings(LettersSettings).case

    def evaluate(self, documents):
        def counts(byte: int) -> bool:
            letter = chr(byte)
            return letter.isalpha() and (self.case == "any" or getattr(letter, f"is{self.case}")())

        return {"letters": sum(counts(b) for _, data in documents for b in data),
                "peak": round(self.model.peak.item(), 3)}


class EvaluatorPlugin:
    @hookimpl
    def register_evaluators(self, register):
        register("letters", lambda model, config, backend: Letters(model, config),
                 config_class=LettersSettings, description="letters in the documents")


def test_hook_register_evaluators(run_cli, checkpoint, text_file, tmp_path):
    with plugin_registered(EvaluatorPlugin(), "letters-evaluator"):
        result = run_cli("eval", str(checkpoint), "--data", str(text_file), "--report", "json",
                         "--out", str(tmp_path), "--set", "eval.evaluators=letters",
                         "--set", "evaluators.letters.case=upper")
    assert result.exit_code == 0, result.stderr
    results = json.loads((tmp_path / "eval.json").read_text())["results"]
    assert results == {"letters": {"letters": 7, "peak": 8.0}}  # H W B B I T S


# --- register_reports --------------------------------------------------------------------

class Lines:
    """Each number of the results on a line of ``<kind>.lines``: ``dotted.key value``."""

    def write(self, results, out_dir):
        def lines(prefix: str, value: Any):
            if isinstance(value, dict):
                for key, inner in value.items():
                    yield from lines(f"{prefix}.{key}" if prefix else key, inner)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                yield f"{prefix} {value}\n"

        path = Path(out_dir) / f"{results['kind']}.lines"
        path.write_text("".join(lines("", results["results"])))
        return path


class ReportPlugin:
    @hookimpl
    def register_reports(self, register):
        register("lines", lambda config: Lines(), description="one number per line")


def test_hook_register_reports(run_cli, checkpoint, text_file, tmp_path):
    with plugin_registered(ReportPlugin(), "lines-report"):
        result = run_cli("eval", str(checkpoint), "--data", str(text_file), "--report",
                         "lines,json", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    overall = json.loads((tmp_path / "eval.json").read_text())["results"]["bits-per-byte"][
        "overall"]
    written = dict(line.split(" ") for line in
                   (tmp_path / "eval.lines").read_text().splitlines())
    assert float(written["bits-per-byte.overall.bits_per_byte"]) == overall["bits_per_byte"]
    assert str(tmp_path / "eval.lines") in result.stderr + result.stdout  # said where


# --- register_commands -------------------------------------------------------------------

class CommandPlugin:
    @hookimpl
    def register_commands(self, cli):
        @cli.group("greet", help="Greetings from a plugin.")
        def greet() -> None:
            pass

        @greet.command("hello")
        @click.argument("name")
        def hello(name: str) -> None:
            click.echo(f"hello, {name}")


def test_hook_register_commands(run_cli):
    with plugin_registered(CommandPlugin(), "greeter"):
        assert run_cli("greet", "hello", "World").stdout == "hello, World\n"
        assert "Greetings from a plugin." in run_cli("--help").stdout
        listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json").stdout)}
    assert listed["greeter"]["registered"]["commands"] == ["greet"]
    assert run_cli("greet", "hello", "World").exit_code == 2  # gone with the plugin


# --- register_training_callbacks ---------------------------------------------------------

@frozen
class TranscriptConfig(CallbackConfig):
    enabled: bool = setting(False, help="Record the events of the run.")


class TranscriptPlugin:
    """A callback that records every event it is given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.run_dirs: list[Path] = []

    @hookimpl
    def register_training_callbacks(self, register):
        register("transcript", self.build, config_class=TranscriptConfig,
                 description="records the events")

    def build(self, config, run_dir):
        self.run_dirs.append(run_dir)
        return self

    def on_train_start(self, info):
        self.events.append(("start", (info["step"], info["max_steps"])))

    def on_log(self, record):
        self.events.append(("log", record))

    def on_eval(self, record):
        self.events.append(("eval", record))

    def on_checkpoint(self, path, record):
        self.events.append(("checkpoint", Path(path).name))

    def on_train_end(self, metrics):
        self.events.append(("end", metrics["step"]))


def test_hook_register_training_callbacks(run_cli, tmp_path):
    plugin = TranscriptPlugin()
    with plugin_registered(plugin, "transcript-callback"):
        result = run_cli("train", *set_args(tiny_settings(tmp_path / "run", tmp_path / "cache",
                                                          callbacks__transcript__enabled=True)))
    assert result.exit_code == 0, result.stderr
    assert plugin.run_dirs == [tmp_path / "run"]
    on = [("log" if r["kind"] == "train" else "eval", r) for r in read_metrics(tmp_path / "run")]
    assert [kind for kind, _ in on] == ["log", "log", "eval"] * 2  # what metrics.jsonl holds
    assert plugin.events == [("start", (0, 4)), *on[:3], ("checkpoint", "step-0000002"),
                             *on[3:], ("checkpoint", "step-0000004"), ("end", 4)]


# --- register_data_sources ---------------------------------------------------------------

class Countdown:
    """``countdown:N``: N documents, the n-th holds ``n`` lines."""

    def __init__(self, config: Any) -> None:
        pass

    def accepts(self, path: Path) -> bool:
        return False

    def units(self, target: str, seed: tuple) -> list[DataUnit]:
        count = int(target)

        def read(tally):
            for n in range(count, 0, -1):
                data = b"".join(b"%d\n" % i for i in range(n))
                yield SourceDocument(f"countdown#{n}", [data], len(data))

        return [DataUnit(f"countdown:{count}", "generated", ["countdown", count], 0, read)]


class SourcePlugin:
    @hookimpl
    def register_data_sources(self, register):
        register("countdown", Countdown, description="countdown:N, N documents of lines")


def test_hook_register_data_sources(run_cli, tmp_path):
    with plugin_registered(SourcePlugin(), "countdown-source"):
        result = run_cli("data", "inspect", "countdown:5", "--json", "--set",
                         f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 0, result.stderr
    [source] = json.loads(result.stdout)["sources"]
    expected = sum(len(b"".join(b"%d\n" % i for i in range(n))) for n in range(1, 6))
    assert source["kinds"] == {"generated": 1} and source["sources"] == ["countdown"]
    assert (source["documents"], source["bytes"]) == (5, expected)
    assert (source["text_documents"], source["bad_records"]) == (5, 0)


# --- register_config_sections and register_interactive_commands ---------------------------

@frozen
class Greeting(Settings):
    word: str = setting("hello", help="The word to greet with.")
    times: int = setting(1, min=1, help="How often to say it.")


def greet(config: Any, argument: str) -> dict[str, str]:
    if not argument.isalpha():
        raise UsageError(f"a greeting is one word, not {argument!r}")
    return {"greeting.word": argument}


class GreetingPlugin:
    @hookimpl
    def register_config_sections(self, register):
        register("greeting", config_class=Greeting, description="how to greet")

    @hookimpl
    def register_interactive_commands(self, register):
        register("greet", greet, description="change the greeting word",
                 status=lambda config: f"greeting: {config.settings(Greeting).word}")


def test_hook_register_config_sections(run_cli):
    with plugin_registered(GreetingPlugin(), "greeting"):
        shown = run_cli("config", "show", "--json", "--set", "greeting.word=hi")
        explained = run_cli("config", "show", "--explain", "--set", "greeting.times=3")
        typo = run_cli("config", "show", "--set", "greeting.wrod=hi")
        config = load_config(overrides={"greeting.times": 2}).config
    assert json.loads(shown.stdout)["greeting"] == {"word": "hi", "times": 1}
    assert any(line.startswith("greeting.times") and "# --set" in line
               for line in explained.stdout.splitlines())
    assert typo.exit_code == 2 and 'did you mean "greeting.word"' in typo.stderr
    assert config.settings(Greeting) == Greeting(word="hello", times=2)


def test_hook_register_interactive_commands(run_cli, checkpoint):
    with plugin_registered(GreetingPlugin(), "greeting"):
        result = run_cli("analyze", str(checkpoint), "-i", "--set", "backend.cpu.threads=1",
                         input=":greet hi\n:greet 2x\n:help\n:show\n")
    assert result.exit_code == 0, result.stderr
    assert "greeting.word = hi  (from :greet)" in result.stdout  # :show
    assert "greeting: hi" in result.stdout  # its part of the status line
    assert ":greet" in result.stdout and "change the greeting word" in result.stdout  # :help
    assert "a greeting is one word, not '2x'" in result.stderr

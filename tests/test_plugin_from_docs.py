"""The plugin docs/plugins.md builds, `my-plugin`, made from the page alone, works.

The guide grows one plugin section by section: a code block right after
``<!-- plugin file: PATH -->`` belongs to the file PATH of its package, and the blocks of
one file follow each other in the page's order. :func:`write_plugin` writes those files
and nothing else. The fast tests import the package in-process; the slow ones install it
into a fresh venv (tests/venvs.py) and use every part through the installed ``neat``: a
part of each kind of the registry (``KINDS``) and a command.
"""

from __future__ import annotations

import csv
import importlib
import json
import math
import re
import sys
from pathlib import Path

import pytest

from neat_core.registry import COMMANDS, KINDS

from .venvs import REPO, run, venv_with

PLUGIN_FILE = re.compile(r"<!-- plugin file: (\S+) -->\n```\w+\n(.*?)```", re.S)
REGISTERED = {"backends": ["cpu-deterministic"], "models": ["bigram"], "trainers": ["sgd"],
              "evaluators": ["hard-bytes"], "reports": ["tsv"], "callbacks": ["eval-log"],
              "data_sources": ["counting"], "sections": ["my-plugin"],
              "interactive_commands": ["digits"], "interactive_frontends": ["lines"],
              "commands": ["my-train"]}


def write_plugin(root: Path) -> Path:
    """The files of ``my-plugin`` as docs/plugins.md gives them, under ``root``."""
    files: dict[str, list[str]] = {}
    for name, code in PLUGIN_FILE.findall((REPO / "docs" / "plugins.md").read_text()):
        files.setdefault(name, []).append(code)
    for name, blocks in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("\n\n".join(blocks))
    return root


def test_the_page_gives_every_file_of_the_plugin(tmp_path):
    root = write_plugin(tmp_path)
    files = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert files == ["my_plugin/commands.py", "my_plugin/model.py", "my_plugin/plugin.py",
                     "my_plugin/trainer.py", "pyproject.toml"]
    assert 'my-plugin = "my_plugin.plugin"' in (root / "pyproject.toml").read_text()


# --- in-process: the package on sys.path, registered as a test plugin ----------------------

@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    root = write_plugin(tmp_path_factory.mktemp("my-plugin"))
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("my_plugin.plugin")
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == "my_plugin"]:
            del sys.modules[name]


def test_every_kind_is_registered_without_importing_torch_modules(plugin, run_cli):
    from neat_core.api import plugin_registered

    assert set(REGISTERED) == {*KINDS, COMMANDS}  # a new kind needs a part in the guide
    with plugin_registered(plugin, "my-plugin"):
        listed = {info["name"]: info for info in json.loads(run_cli("plugins", "--json").stdout)}
    assert listed["my-plugin"]["registered"] == REGISTERED
    assert not {"my_plugin.model", "my_plugin.trainer"} & set(sys.modules)


def test_backend_is_listed_and_available(plugin, run_cli):
    from neat_core.api import get_registry, plugin_registered

    with plugin_registered(plugin, "my-plugin"):
        backend = get_registry().backends["cpu-deterministic"].factory()
        listing = run_cli("backends").output
    assert backend.is_available() == (True, "the CPU is always there")
    assert backend.auto_priority is None and "cpu-deterministic" in listing


def test_training_callback_is_opt_in_and_receives_eval_records(plugin, tmp_path):
    from neat_core.api import Callbacks, load_config, plugin_registered

    with plugin_registered(plugin, "my-plugin"):
        assert Callbacks.for_run(load_config().config, tmp_path).names == []
        enabled = load_config(overrides={"callbacks.eval-log.enabled": True}).config
        callbacks = Callbacks.for_run(enabled, tmp_path)
        assert callbacks.names == ["eval-log"]
        callbacks.emit("on_eval", {"step": 2, "eval_loss": 1.5})
        callbacks.emit("on_log", {"step": 2, "loss": 1.4})  # not defined: skipped
    assert (tmp_path / "evals.txt").read_text() == '{"step": 2, "eval_loss": 1.5}\n'


def test_interactive_command_returns_the_setting_to_change(plugin):
    from neat_core.api import UsageError, get_registry, load_config, plugin_registered

    with plugin_registered(plugin, "my-plugin"):
        command = get_registry().interactive_commands["digits"].factory
        assert command(load_config().config, "3") == {"my-plugin.digits": 3}
        with pytest.raises(UsageError, match="needs a number"):
            command(load_config().config, "many")


def test_command_reads_the_resolved_config(plugin):
    from click.testing import CliRunner
    from my_plugin.commands import my_train

    result = CliRunner().invoke(my_train, ["--max-steps", "5", "--set", "backend.name=cpu"])
    assert result.exit_code == 0, result.output
    assert result.output == "5 steps on cpu\n"


# --- installed: the package built by pip, found through its entry point --------------------

TINY = ["--set", "model.block_size=16", "--set", "training.batch_size=2",
        "--set", "training.log_steps=1", "--set", "training.eval_steps=2",
        "--set", "training.eval_batches=1", "--set", "training.save_steps=4",
        "--set", "training.warmup_steps=1", "--set", "data.train=counting:20",
        "--set", "data.counting.numbers=20", "--set", "run.progress=false"]


@pytest.fixture(scope="module")
def neat(tmp_path_factory) -> Path:
    """The ``neat`` of a fresh venv with NEAT and my-plugin installed."""
    root = tmp_path_factory.mktemp("docs-plugin")
    return venv_with(root, write_plugin(root / "my-plugin")) / "neat"


@pytest.fixture(scope="module")
def workdir(neat, tmp_path_factory) -> Path:
    """A directory with a run of the bigram on the deterministic backend, trained by the
    standard trainer on counting data, with the eval-log callback on."""
    path = tmp_path_factory.mktemp("work")
    run(neat, "-q", "train", "--model", "bigram", "--backend", "cpu-deterministic",
        "--max-steps", "4", *TINY, "--set", "callbacks.eval-log.enabled=true",
        "--set", f"data.cache_dir={path / 'cache'}", "--output-dir", "run", cwd=path)
    return path


@pytest.fixture(scope="module")
def sgd_run(neat, workdir) -> Path:
    """A run of the bigram trained by my-plugin's own trainer."""
    run(neat, "-q", "train", "--model", "bigram", "--set", "training.trainer=sgd",
        "--max-steps", "3", *TINY, "--set", f"data.cache_dir={workdir / 'cache'}",
        "--output-dir", "sgd", cwd=workdir)
    return workdir / "sgd"


@pytest.mark.slow
def test_installed_plugin_registers_every_kind_and_stays_light(neat, tmp_path):
    plugins = json.loads(run(neat, "plugins", "--json", cwd=tmp_path))
    mine = next(info for info in plugins if info["name"] == "my-plugin")
    assert (mine["distribution"], mine["status"]) == ("neat-my-plugin", "loaded")
    assert mine["registered"] == REGISTERED
    lazy_check = "import sys, neat_core; neat_core.get_registry(); print('torch' in sys.modules)"
    assert run(neat.parent / "python", "-c", lazy_check).strip() == "False"  # as the guide says


@pytest.mark.slow
def test_backend_model_data_source_and_callback_train(neat, workdir):
    listing = run(neat, "backends", cwd=workdir)
    assert re.search(r"cpu-deterministic\s.*available", listing), listing
    config = json.loads((workdir / "run" / "config.json").read_text())
    assert config["model"] == {"name": "bigram", "block_size": 16, "init_scale": 0.02}
    assert config["backend"]["name"] == "cpu-deterministic"
    assert config["backend"]["cpu-deterministic"] == {"threads": 1}
    records = [json.loads(line) for line in (workdir / "run" / "metrics.jsonl").open()]
    losses = [record["loss"] for record in records if record["kind"] == "train"]
    assert len(losses) == 4 and all(math.isfinite(loss) for loss in losses)
    evals = [json.loads(line) for line in (workdir / "run" / "evals.txt").open()]
    assert [record["step"] for record in evals] == [2, 4]  # the callback, at each evaluation

    inspected = json.loads(run(neat, "data", "inspect", "counting:20", "--json",
                               "--set", "data.counting.numbers=20",
                               "--set", f"data.cache_dir={workdir / 'cache'}", cwd=workdir))
    source = inspected["sources"][0]
    assert (source["spec"], source["kinds"], source["documents"]) == ("counting:20",
                                                                      {"counting": 1}, 20)
    assert source["bytes"] == sum(len(" ".join(map(str, range(k, k + 20)))) + 1
                                  for k in range(20))


@pytest.mark.slow
def test_evaluator_and_report_render_results(neat, workdir):
    (workdir / "text.txt").write_text("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n")
    text = run(neat, "eval", "run", "--data", "text.txt", "--report", "text,tsv",
               "--out", "reports", "--set", "eval.evaluators=bits-per-byte,hard-bytes",
               "--set", "evaluators.hard-bytes.bits=100", cwd=workdir)
    assert "\nhard-bytes\n" in text
    with (workdir / "reports" / "eval.tsv").open(newline="") as file:
        rows = list(csv.reader(file, delimiter="\t"))
    assert rows[0] == ["evaluator", "key", "value"]
    hard = {key: float(value) for evaluator, key, value in rows[1:] if evaluator == "hard-bytes"}
    assert hard == {"bytes": 49, "hard": 0, "share": 0.0}  # bytes 1..49, none > 100 bits
    assert any(evaluator == "bits-per-byte" for evaluator, _, _ in rows[1:])


@pytest.mark.slow
def test_trainer_runs_when_selected(sgd_run):
    checkpoint = sgd_run / "checkpoints" / "step-3"
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["training"]["trainer"] == "sgd" and config["training"]["sgd"] == {"lr": 0.5}
    assert json.loads((checkpoint / "meta.json").read_text())["step"] == 3


@pytest.mark.slow
def test_config_section_is_set_and_shown(neat, tmp_path):
    shown = run(neat, "config", "show", "--set", "my-plugin.digits=3", cwd=tmp_path)
    assert re.search(r"^my-plugin\.digits\s*=?\s*3\b", shown, re.M), shown
    refused = run(neat, "config", "show", "--set", "my-plugin.digits=0", cwd=tmp_path, code=2)
    assert "my-plugin.digits" in refused


@pytest.mark.slow
def test_front_end_runs_the_analysis_and_the_interactive_command(neat, sgd_run):
    """The plugin's front-end is the default; it analyses with the sgd trainer's model."""
    lines = "0 1 2 3 4 5 6 7 8 9\n:digits 2\n0 1 2 3 4 5 6 7 8 9\n:digits many\n"
    output = run(neat, "analyze", sgd_run, "-i", "--text", "10 11 12", cwd=sgd_run,
                 input=lines)
    assert "my-plugin.digits = 2" in output
    assert "error: :digits needs a number, got 'many' (hint: e.g. :digits 3)" in output
    entropy = [line for line in output.splitlines() if line.startswith("entropy: ")]
    assert len(entropy) == 3  # the --text, then each line of text
    digits = [[len(re.sub(r"e.*|\D|^0\.0*", "", value)) for value in re.findall(r"=(\S+)", line)]
              for line in entropy[1:]]  # significant digits of each value
    assert max(digits[0]) == 4 and max(digits[1]) == 2  # the same text, after :digits 2


@pytest.mark.slow
def test_command_runs(neat, tmp_path):
    output = run(neat, "my-train", "--max-steps", "5", "--backend", "cpu-deterministic",
                 cwd=tmp_path)
    assert output == "5 steps on cpu-deterministic\n"

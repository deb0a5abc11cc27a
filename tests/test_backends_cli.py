"""``neat backends`` and backend selection through the CLI (exit codes, messages)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import types

import click
import pytest

from neat_core import hookimpl
from neat_core.backends import select_backend
from neat_core.commands import ConfigCommand
from neat_core.testing import plugin_registered
from neat_plugins.backends import mps

from .backends_sim import (
    AcceleratorBackend,
    backend_plugin,
    machine,  # noqa: F401 - fixture
)

CPU_ONLY_LINUX = (sys.platform.startswith("linux")
                  and importlib.metadata.version("torch").endswith("+cpu"))


@hookimpl
def register_commands(cli) -> None:
    @cli.command("use-backend", cls=ConfigCommand, flags=("backend.name",))
    def use_backend(resolved) -> None:
        """Select the configured backend, as every command that runs a model does."""
        backend = select_backend(resolved.config.backend)
        click.echo(f"{backend.name} {backend.device} {backend.amp or 'off'}")


COMMAND_PLUGIN = types.SimpleNamespace(register_commands=register_commands)


def rows_by_name(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_backends_json_on_simulated_hardware(machine, run_cli):
    machine.cuda(devices=2)
    rows = rows_by_name(run_cli("backends", "--json", "--set", "backend.cuda.device_index=1",
                                "--set", "backend.cuda.memory_reserve_pct=10"))
    assert list(rows) == ["cpu", "cuda", "mps"]
    gpu = rows["cuda"]
    assert gpu["available"] and gpu["auto"] and gpu["plugin"] == "cuda"
    assert (gpu["device"], gpu["device_name"], gpu["device_count"]) == (
        "cuda:1", "Simulated GPU 1", 2)
    assert gpu["settings"]["memory_fraction"] == pytest.approx(0.9)
    assert gpu["mixed_precision_dtypes"] == ["bf16", "fp16"]
    assert rows["cpu"]["available"] and not rows["cpu"]["auto"]
    assert rows["mps"] == {**rows["mps"], "available": False, "reason": "simulated: not a Mac"}
    assert machine.cuda_calls == []


def test_backends_text_lists_every_backend_and_the_auto_choice(machine, run_cli):
    result = run_cli("backends")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "cpu  [available: always available]  (plugin cpu)"
    assert "cuda  [unavailable: simulated: no GPU]  (plugin cuda)" in lines
    assert "mps  [unavailable: simulated: not a Mac]  (plugin mps)" in lines
    assert lines[-1] == "auto picks: cpu"


def test_backends_shows_a_setting_the_backend_refuses(machine, run_cli):
    rows = rows_by_name(run_cli("backends", "--json", "--set", "backend.mixed_precision=fp16"))
    assert rows["cpu"]["settings_error"].startswith(
        "backend 'cpu' does not support mixed precision 'fp16'")


def test_backends_lists_a_third_party_backend(machine, run_cli):
    with plugin_registered(backend_plugin(AcceleratorBackend), name="accel-plugin"):
        rows = rows_by_name(run_cli("backends", "--json"))
    assert rows["accel"]["plugin"] == "accel-plugin"
    assert rows["accel"]["available"] and rows["accel"]["auto_priority"] is None


def test_an_unavailable_backend_exits_2_with_the_available_ones(machine, run_cli):
    machine.mps()
    with plugin_registered(COMMAND_PLUGIN, name="use-backend"):
        result = run_cli("use-backend", "--backend", "cuda")
    assert result.exit_code == 2
    assert result.stderr == ("error: backend 'cuda' is not available: simulated: no GPU "
                             "(hint: available backends: cpu, mps (or use 'auto'; "
                             "`neat backends` shows why))\n")


def test_a_bad_mps_watermark_pair_exits_2_naming_both(machine, run_cli, monkeypatch):
    machine.mps()
    monkeypatch.setenv(mps.HIGH, "1.4")
    monkeypatch.setenv(mps.LOW, "1.7")
    with plugin_registered(COMMAND_PLUGIN, name="use-backend"):
        result = run_cli("use-backend", "--backend", "auto")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: invalid MPS memory watermarks {mps.HIGH}='1.4' and {mps.LOW}='1.7': the low "
        f"ratio must be between 0 and the high ratio (hint: unset both to use NEAT's "
        f"defaults (high 0.8, low 0.0), or choose 0 <= low <= high <= 2 (high 0 means no "
        f"limit))\n")


def test_the_backend_comes_from_config_files_and_flags(machine, run_cli, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"schema_version": 1,
                                "backend": {"name": "cpu", "mixed_precision": "bf16"}}))
    with plugin_registered(COMMAND_PLUGIN, name="use-backend"):
        assert run_cli("use-backend", "-c", str(path)).stdout == "cpu cpu bf16\n"
        machine.cuda()
        assert run_cli("use-backend", "-c", str(path), "--backend", "auto",
                       "--set", "backend.mixed_precision=auto").stdout == "cuda cuda:0 bf16\n"


@pytest.mark.skipif(not CPU_ONLY_LINUX, reason="expects Linux with a CPU-only torch build")
def test_backends_json_here_cpu_only_and_without_importing_torch():
    code = ("import sys\nfrom neat_core.cli import cli\n"
            "try:\n    cli(['backends', '--json'], standalone_mode=False)\n"
            "except SystemExit:\n    pass\n"
            "print('torch imported' if 'torch' in sys.modules else '', file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("NEAT_PLUGINS_")})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["cpu"]["available"] and rows["cpu"]["auto"]
    assert rows["cuda"]["available"] is False
    assert rows["cuda"]["reason"].endswith("is a CPU-only build")
    assert rows["mps"]["available"] is False
    assert rows["mps"]["reason"] == "MPS needs macOS on Apple silicon (this is Linux)"


def test_a_backend_whose_probe_crashes_is_listed_as_unavailable(machine, run_cli):
    class Broken(AcceleratorBackend):
        name = "broken"
        auto_priority = 1000

        def is_available(self) -> tuple[bool, str]:
            raise OSError("driver exploded")

    with plugin_registered(backend_plugin(Broken), name="broken-plugin"), \
            plugin_registered(COMMAND_PLUGIN, name="use-backend"):
        rows = rows_by_name(run_cli("backends", "--json"))
        assert rows["broken"]["reason"] == "probe failed: OSError: driver exploded"
        assert rows["cpu"]["auto"]
        assert run_cli("use-backend").stdout == "cpu cpu off\n"


# --- a broken backend plugin is isolated (it never breaks plain `neat train`) ------------

class CrashingConstructor(AcceleratorBackend):
    name = "crash-init"
    auto_priority = 900

    def __init__(self) -> None:
        raise RuntimeError("no driver")


class CrashingInfo(AcceleratorBackend):
    name = "crash-info"
    auto_priority = 901

    def device_info(self, config):
        raise OSError("device gone")


class CrashingConfigure(AcceleratorBackend):
    name = "crash-configure"
    auto_priority = 902

    def configure(self, config):
        raise RuntimeError("cannot configure")


@pytest.mark.parametrize("broken", [CrashingConstructor, CrashingInfo, CrashingConfigure])
def test_a_broken_backend_is_isolated_named_and_skipped_by_auto(machine, run_cli, broken):
    with plugin_registered(backend_plugin(broken), name="broken-backend"):
        listed = run_cli("backends", "--json")
        assert listed.exit_code == 0, listed.stderr
        row = rows_by_name(listed)[broken.name]
        if broken is CrashingConstructor:
            assert not row["available"] and "failed" in row["reason"]
            assert "no driver" in row["reason"]
        elif broken is CrashingInfo:
            assert "device gone" in row["settings_error"]
        with plugin_registered(COMMAND_PLUGIN, name="use-backend"):
            result = run_cli("use-backend")
        if broken is CrashingInfo:  # only describing it fails; it still runs
            assert result.exit_code == 0 and result.stdout.startswith("crash-info")
        else:
            assert result.exit_code == 0 and result.stdout.startswith("cpu cpu")
            assert "plugin 'broken-backend' failed" in result.stderr
        if broken is not CrashingInfo:
            named = run_cli("backends", "--set", f"backend.name={broken.name}")
            assert named.exit_code == 0
            with plugin_registered(COMMAND_PLUGIN, name="use-backend"):
                chosen = run_cli("use-backend", "--backend", broken.name)
            assert chosen.exit_code == 2
            assert f"backend '{broken.name}' of plugin 'broken-backend'" in chosen.stderr

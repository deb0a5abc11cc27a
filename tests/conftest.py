from __future__ import annotations

import pytest
from click.testing import CliRunner

import neat_core
from neat_core.cli import cli


@pytest.fixture(autouse=True)
def fresh_plugins(monkeypatch):
    """Every test starts with freshly loaded plugins and no plugin env settings."""
    for variable in ("NEAT_PLUGINS_ALLOW", "NEAT_PLUGINS_BLOCK", "NEAT_PLUGINS_STRICT"):
        monkeypatch.delenv(variable, raising=False)
    neat_core.reset_plugins()
    yield
    neat_core.reset_plugins()


@pytest.fixture
def run_cli():
    """Invoke the real Click group in-process; returns the click Result."""

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return run

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


@pytest.fixture(scope="session", autouse=True)
def session_checkpoint_key(tmp_path_factory):
    """Checkpoints are sealed with this test session's own key (neat_core.trust), not the
    key of the user running the tests; `neat` subprocesses inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


@pytest.fixture
def run_cli():
    """Invoke the real Click group in-process; returns the click Result."""

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return run

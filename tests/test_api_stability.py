"""Plugins written against NEAT 0.1 keep working: the 0.1 example plugin passes its own
tests unchanged, the import paths 0.1's guide showed still give the same objects, and
those this release moved warn with the name of their replacement (CHANGELOG.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from importlib import import_module
from pathlib import Path

import pytest

import neat_core.api as api

EXAMPLE_0_1 = Path(__file__).parent / "data" / "neat-plugin-example-0.1"

# A pytest plugin for the child run: every DeprecationWarning that names neat_core,
# written to $NEAT_WARNINGS_FILE when the session ends.
RECORDER = '''
import json, os

seen = []

def pytest_warning_recorded(warning_message, when, nodeid, location):
    message = str(warning_message.message)
    if issubclass(warning_message.category, DeprecationWarning) and "neat_core" in message:
        seen.append(message)

def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["NEAT_WARNINGS_FILE"], "w") as file:
        json.dump(sorted(set(seen)), file)
'''

# What the 0.1 example's own tests are told is deprecated: nothing, since every path it
# imports stayed (neat_core.config, neat_core.scoring, neat_core.testing, ...). A later
# release that moves one of them must list its warning here, and the warning must name
# the replacement.
EXPECTED_WARNINGS: set[str] = set()


@pytest.mark.slow
def test_the_0_1_example_plugin_passes_its_own_tests_unchanged(tmp_path):
    example = shutil.copytree(EXAMPLE_0_1, tmp_path / "example")
    (tmp_path / "neat_compat_recorder.py").write_text(RECORDER)
    record = tmp_path / "warnings.json"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NEAT_PLUGINS_", "PYTHONPATH"))}
    env.update(PYTHONPATH=os.pathsep.join([str(example), str(tmp_path)]),
               NEAT_WARNINGS_FILE=str(record), OMP_NUM_THREADS="1")
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "neat_compat_recorder", "-W", "always::DeprecationWarning", "tests"],
        cwd=example, env=env, capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert "11 passed" in child.stdout
    recorded = set(json.loads(record.read_text()))
    for message in recorded:
        assert "import it from neat_core." in message, message  # names the replacement
    assert recorded == EXPECTED_WARNINGS


# --- paths the 0.1 guide showed plugin authors ------------------------------------------

STAYED = [  # module, name: unchanged, no warning, the object neat_core.api offers
    *[("neat_core.config", name) for name in (
        "setting", "section", "frozen", "require", "Former", "Settings", "ModelConfig",
        "CallbackConfig", "BackendConfig", "NeatConfig", "load_config", "Override",
        "ResolvedConfig", "to_dict")],
    *[("neat_core.errors", name) for name in (
        "NeatError", "UsageError", "ConfigError", "DataError", "CheckpointError",
        "PluginError", "RunError", "Interrupted")],
    ("neat_core", "hookimpl"), ("neat_core", "get_registry"),
    ("neat_core.scoring", "Scorer"), ("neat_core.scoring", "compute_entropies"),
    ("neat_core.scoring", "score_bytes"), ("neat_core.testing", "plugin_registered"),
    ("neat_core.backends", "Backend"), ("neat_core.backends", "select_backend"),
    ("neat_core.backends", "system_memory_bytes"), ("neat_core.data", "list_paths"),
    ("neat_core.data", "rng_for"), ("neat_core.registry", "CommandHost"),
    ("neat_core.models", "build_model"), ("neat_core.checkpoint", "load_checkpoint"),
    ("neat_core.checkpoint", "save_checkpoint"), ("neat_core.training", "Callbacks"),
    ("neat_core.training", "DistEnv"),
]


@pytest.mark.parametrize("module, name", STAYED)
def test_a_path_the_0_1_guide_showed_still_works_without_a_warning(module, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = getattr(import_module(module), name)
    assert value is getattr(api, name)


MOVED = [  # old module, name, where the warning sends the reader
    ("neat_core.cli.options", "ConfigCommand", "neat_core.api"),
    ("neat_core.cli.options", "config_command", "neat_core.api"),
    ("neat_core.evaluate", "open_checkpoint", "neat_core.api"),
    ("neat_core.evaluate", "write_reports", "neat_core.api"),
    ("neat_core.evaluate", "Session", "neat_core.api"),
    ("neat_core.evaluate", "load_documents", "neat_core.api"),
    ("neat_core.evaluate", "analysis_results", "neat_core.api"),
    ("neat_core.evaluate", "evaluation_results", "neat_core.session"),
    ("neat_core.evaluate", "report_writers", "neat_core.reporting"),
    ("neat_core.train", "resume_config", "neat_core.training.run"),
    ("neat_core.generate", "sample_stream", "neat_core.sampling"),
    ("neat_core.config.fields", "setting", "neat_core.api"),
    ("neat_core.config.fields", "FieldInfo", "neat_core.settings.fields"),
    ("neat_core.config.schema", "Settings", "neat_core.api"),
    ("neat_core.config.schema", "frozen", "neat_core.api"),
    ("neat_core.config.schema", "SCHEMA_VERSION", "neat_core.settings.schema"),
    ("neat_core.config.contract", "settings_class_problem", "neat_core.settings.contract"),
]


@pytest.mark.parametrize("module, name, home", MOVED)
def test_a_moved_path_warns_naming_its_replacement(module, name, home):
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{name} moved: import it from "
                                               rf"{home} \("):
        value = getattr(import_module(module), name)
    assert value is getattr(import_module(home), name)


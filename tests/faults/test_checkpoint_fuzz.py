"""Checkpoint metadata of the right shape with bad values: every one loads or is refused
with a CheckpointError (exit 2) -- never another exception, never a skipped check."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neat_core.checkpoint import META_FILE, load_checkpoint, save_checkpoint
from neat_core.errors import CheckpointError

from ..blt_util import tiny_config, tiny_model
from .test_config_values import BAD_VALUES


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "ckpt", tiny_model(),
                           tiny_config(), step=3, training_state={"step": 3})
    return path, json.loads((path / META_FILE).read_text())


def paths(meta: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key path of ``meta`` (sections and leaves)."""
    found = []
    for key, value in meta.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found += paths(value, (*prefix, key))
    return found


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_meta_with_bad_values_loads_or_is_refused(checkpoint, data):
    path, original = checkpoint
    meta = copy.deepcopy(original)
    for key_path in data.draw(st.lists(st.sampled_from(paths(original)), min_size=1,
                                       max_size=4)):
        node = meta
        for key in key_path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if data.draw(st.booleans()):
                node[key_path[-1]] = data.draw(BAD_VALUES)
            else:
                node.pop(key_path[-1], None)
    (path / META_FILE).write_text(json.dumps(meta))
    try:
        loaded = load_checkpoint(path)
    except CheckpointError as error:
        assert len(error.one_line().splitlines()) == 1
    else:  # what loads is well formed: a checksum for every file and a sane step
        covered = {"model.safetensors", "training_state.safetensors"}
        if loaded.meta["format_version"] > 1:  # format 1 did not cover the JSON files
            covered |= {"config.json", "training_state.json"}
        assert set(loaded.meta["sha256"]) >= covered
        assert isinstance(loaded.meta["step"], int) and loaded.meta["step"] >= 0
    finally:
        (path / META_FILE).write_text(json.dumps(original))

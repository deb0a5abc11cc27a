"""Checkpoints saved before the blt plugin was split into parts keep loading, with the
same weight names and the same logits: tests/data/main_checkpoints holds tiny ones saved
by main at a45f402, with the logits that code computed (see make.py there)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from neat_core import load_checkpoint, load_model

from .blt_util import one_torch_thread  # noqa: F401 - autouse fixture

SAVED = Path(__file__).parent / "data" / "main_checkpoints"
INPUT = b"def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize("name", ["entropy", "entropy-learned", "blt"])
def test_a_checkpoint_of_the_flat_plugin_loads_with_the_same_keys_and_logits(name):
    model, config = load_model(SAVED / name)
    saved = load_checkpoint(SAVED / name).state_dict
    assert set(model.state_dict()) == set(saved)
    recorded = load_file(SAVED / f"{name}.logits.safetensors")
    idx = torch.tensor([list(INPUT[:config.model.block_size])])
    with torch.no_grad():  # equal on the machine that recorded them; other CPUs may round
        torch.testing.assert_close(model(idx), recorded["logits"], rtol=0, atol=1e-6)
    if name == "blt":  # the entropy model inside, its patches and the greedy maximum
        assert torch.equal(model.patcher.starts(idx), recorded["starts"])
        assert 6 < int(recorded["starts"].sum()) < 32

"""The BLT's own patches everywhere: on a BLT checkpoint, the model's stream patcher,
`neat patch` (whole or in pieces), `neat analyze` (the patch evaluator) and the
interactive `:patches` show the patches the model cuts -- static, space, or its entropy
model with its threshold -- on inputs longer than every context, in every mode."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neat_core
from neat_core.checkpoint import load_model, save_checkpoint
from neat_plugins.blt.byte_latent.patcher import PatchState
from neat_plugins.blt.commands import interactive, patch
from neat_plugins.blt.patching.rules import lengths

from .blt_util import (
    CORPUS,
    PATCHING_MODES,
    blt_config,
    mode_settings,
    one_torch_thread,  # noqa: F401 - autouse fixture
    save_entropy_checkpoint,
    tiny_blt,
)

DATA = CORPUS[1700:1900] + CORPUS[:100]  # 300 bytes: code, then prose; contexts are 32, 16
@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """A saved BLT of every mode (their entropy model: hash n-grams, context 16)."""
    root = tmp_path_factory.mktemp("own")
    entropy = str(save_entropy_checkpoint(root / "entropy", hash_ngrams=[3, 4]))
    saved = {}
    for name in PATCHING_MODES:
        settings = mode_settings(name, entropy)
        model = tiny_blt(**settings)
        saved[name] = str(save_checkpoint(root / name, model, blt_config(**settings)))
    return saved


def streamed_starts(model, data: bytes, pieces: list[int]) -> np.ndarray:
    """The patches the model's cache decides, byte pieces as they arrive."""
    state, out, at = PatchState.new(1, torch.device("cpu")), [], 0
    cache = model.new_cache(1)
    with torch.no_grad():
        for size in pieces + [len(data)]:
            idx = torch.tensor([list(data[at:at + size])])
            if idx.numel() == 0:
                break
            entropies = None
            if cache.entropy is not None:
                from neat_core.scoring import entropy_bits

                entropies = entropy_bits(model.patcher.entropy_model.forward_cached(
                    idx, cache.entropy))
            out.append(model.patcher.starts(idx, entropies, state=state)[0].numpy())
            at += idx.shape[1]
    return np.concatenate(out)


@pytest.mark.parametrize("mode", list(PATCHING_MODES))
def test_every_tool_cuts_the_patches_of_the_model(checkpoints, mode, run_cli, tmp_path,
                                                  monkeypatch):
    model, config = load_model(checkpoints[mode])
    starts, entropies = model.patching().starts(DATA)
    expected = lengths(starts).tolist()
    assert len(expected) >= 12 and max(expected) <= 32  # worth the name; within a block
    # the model: in forward over its first window, and as a stream cut in pieces
    first = model.patcher.starts(torch.tensor([list(DATA[:32])]))[0].numpy()
    np.testing.assert_array_equal(first, starts[:32])
    np.testing.assert_array_equal(streamed_starts(model, DATA, [5, 1, 40, 3, 90]), starts)
    # neat patch, cut in pieces of 50 bytes: the patches of the whole input
    source = tmp_path / "input.bin"
    source.write_bytes(DATA)
    monkeypatch.setattr(patch, "CHUNK", 50)
    result = run_cli("patch", checkpoints[mode], str(source), "--format", "json",
                     "--set", "backend.cpu.threads=1", "--set",
                     "backend.mixed_precision=off")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["patch_lengths"] == expected
    assert out["patching"]["source"] == "model"
    assert out["patching"]["mode"] == config.model.patching
    if entropies is not None:  # the entropies shown are those that placed them
        np.testing.assert_allclose(out["entropies"], entropies, atol=1e-4)
    # neat analyze: the patch evaluator, and the interactive :patches after it
    results = neat_core.analyze(checkpoints[mode], text=DATA.decode(),
                                overrides={"backend.cpu.threads": 1})
    section = results["results"]["patches"]
    assert section["patches"] == len(expected)
    assert section["patching"]["source"] == "model"
    assert section["preview"]["boundaries"] == np.flatnonzero(starts).tolist()
    interactive.patches(config, "100", results)


def test_neat_patch_on_a_static_4_blt_gives_4_byte_patches(checkpoints, run_cli, tmp_path):
    source = tmp_path / "input.bin"
    source.write_bytes(DATA)
    result = run_cli("patch", checkpoints["static"], str(source), "--format", "json")
    assert result.exit_code == 0, result.output
    sizes = json.loads(result.stdout)["patch_lengths"]
    assert sizes == [4] * 75


def test_patching_settings_that_would_do_nothing_are_refused(checkpoints, run_cli, tmp_path):
    source = tmp_path / "input.bin"
    source.write_bytes(DATA)
    result = run_cli("patch", checkpoints["static"], str(source), "--threshold", "2")
    assert result.exit_code == 2
    assert "cuts its own patches" in result.output and "patching.threshold" in result.output


def test_the_status_line_of_a_blt_names_its_own_patches(checkpoints):
    _, config = load_model(checkpoints["global"])
    assert interactive.status(config).startswith("the model's patches, mode global")

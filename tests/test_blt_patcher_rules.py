"""The BLT's in-model patcher (torch, batched) and the numpy rules behind `neat patch`,
the analysers and PatchStream cut the same patches from the same entropies, in every mode
the model offers, with and without max_patch_size and patches_per_window."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
import torch

from neat_plugins.blt.byte_latent.patcher import Patcher
from neat_plugins.blt.patching.rules import comparable, patch_lengths

from .blt_util import (
    blt_config,
    one_torch_thread,  # noqa: F401 - autouse fixture
    save_entropy_checkpoint,
)

MODES = ("static", "space", "global", "relative", "combined")
MAX_SIZES = (None, 1, 2, 3, 5)
LENGTHS = (1, 2, 3, 9, 64)
SEEDS = range(6)
ROWS = 4  # the patcher cuts a batch; every row must match the rules on its own
BLOCK = 64
LEVELS = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 7.5, 8.0], dtype=np.float32)
RISE = float(np.float32(2.0)) - float(np.float32(0.3))  # exact; float32 rounds it up
TEXT = np.frombuffer(b"ab ,.\n\txyz!?\xc3\xa9-0", dtype=np.uint8)  # words and spaces


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    """A BLT model section of each mode (the entropy model is never run here: the
    patcher is given the entropies)."""
    checkpoint = str(save_entropy_checkpoint(tmp_path_factory.mktemp("entropy") / "best"))
    entropy = {"entropy_checkpoint": checkpoint}
    return {mode: blt_config(patching=mode, block_size=BLOCK,
                             **(entropy if mode in ("global", "relative", "combined")
                                else {})).model
            for mode in MODES}


def model_lengths(config, entropies: np.ndarray, data: np.ndarray) -> list[list[int]]:
    """The patch lengths of each row, as the BLT cuts them inside ``forward``."""
    starts = Patcher(config).starts(torch.from_numpy(data.astype(np.int64)),
                                    torch.from_numpy(entropies)).numpy()
    return [np.diff(np.append(np.flatnonzero(row), len(row))).tolist() for row in starts]


def rule_lengths(config, entropies: np.ndarray, data: np.ndarray) -> list[list[int]]:
    """The patch lengths of each row by the numpy rules, then (patches_per_window) every
    patch after the P-th merged into it."""
    rows = []
    for h, raw in zip(entropies, data):
        lengths = patch_lengths(h, config.patching, threshold=config.threshold,
                                relative_threshold=config.relative_threshold,
                                patch_size=config.patch_size,
                                max_patch_size=config.max_patch_size, data=raw.tobytes())
        slots = config.patches_per_window
        if slots is not None and len(lengths) > slots:
            lengths = lengths[:slots - 1] + [sum(lengths[slots - 1:])]
        rows.append(lengths)
    return rows


def random_inputs(rng: np.random.Generator, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Entropies, half of them drawn from a few levels (ties and equal rises), and bytes
    mixing words with whitespace and punctuation."""
    entropies = rng.uniform(0, 8, (ROWS, length)).astype(np.float32)
    levels = rng.random((ROWS, length)) < 0.5
    entropies[levels] = rng.choice(LEVELS, int(levels.sum()))
    return entropies, rng.choice(TEXT, (ROWS, length))


def random_settings(rng: np.random.Generator) -> dict:
    return {"threshold": float(rng.choice([rng.uniform(0, 8), *LEVELS[:6]])),
            "relative_threshold": float(rng.choice([rng.uniform(0, 3), 0.5, 1.0])),
            "patch_size": int(rng.integers(1, 7))}


@pytest.mark.parametrize("max_size", MAX_SIZES)
@pytest.mark.parametrize("mode", MODES)
def test_the_patcher_cuts_the_patches_of_the_rules_on_random_entropies(configs, mode,
                                                                        max_size):
    cuts = set()
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for length in LENGTHS:
            entropies, data = random_inputs(rng, length)
            config = attrs.evolve(configs[mode], max_patch_size=max_size,
                                  **random_settings(rng))
            expected = rule_lengths(config, entropies, data)
            assert model_lengths(config, entropies, data) == expected, (seed, length, config)
            cuts.update(map(tuple, expected))
    if mode != "static" and max_size != 1:  # the inputs make the boundaries vary
        assert len(cuts) > 4 * len(LENGTHS)


@pytest.mark.parametrize("per_window", [1, 3, 16])
@pytest.mark.parametrize("mode", MODES)
def test_patches_per_window_keeps_the_first_patches_of_the_rules(configs, mode, per_window):
    for seed in SEEDS:
        rng = np.random.default_rng(100 + seed)
        for length in (1, 20, BLOCK):
            entropies, data = random_inputs(rng, length)
            for max_size in (None, 4):
                config = attrs.evolve(configs[mode], patches_per_window=per_window,
                                      max_patch_size=max_size, **random_settings(rng))
                assert model_lengths(config, entropies, data) == \
                    rule_lengths(config, entropies, data), (seed, length, config)


def edge_cases() -> list[tuple[str, np.ndarray, dict]]:
    """Entropies at the edges of the rules, with the settings that put them there."""
    below, above = np.zeros((1, 12), np.float32), np.full((1, 12), 8.0, np.float32)
    low = np.float32(2.0)
    high = np.nextafter(low, np.float32(9))  # the next float32 above 2.0
    halfway = (float(low) + float(high)) / 2  # a calibrated threshold between them
    between = np.array([[low, high, low, high, high, low, low]], np.float32)
    rising = np.cumsum(np.full((1, 10), 1.0, np.float32), axis=1)  # rises of exactly 1
    rounded_up = np.array([[0.0, 0.3, 2.0, 0.3, 2.0]], np.float32)  # float32 rounds 2 - 0.3 up
    rounded_down = np.array([[0.0, 0.1, 1.0, 0.1, 1.0]], np.float32)  # and 1 - 0.1 down
    return [
        ("all below the threshold", below, {"threshold": 2.0, "relative_threshold": 1.0}),
        ("all above the threshold", above, {"threshold": 2.0, "relative_threshold": 0.0}),
        ("all equal to the threshold", np.full((1, 6), 2.0, np.float32),
         {"threshold": 2.0}),
        ("threshold 0", below + 0.25, {"threshold": 0.0, "relative_threshold": 0.0}),
        ("threshold 8", above, {"threshold": 8.0, "relative_threshold": 8.0}),
        ("a threshold halfway between two float32 values", between,
         {"threshold": halfway, "relative_threshold": halfway - 2.0}),
        ("rises equal to the relative threshold", rising, {"relative_threshold": 1.0}),
        ("a rise float32 rounds up past the threshold", rounded_up,
         {"threshold": 1.0, "relative_threshold": RISE}),
        ("a rise float32 rounds down onto the threshold", rounded_down,
         {"threshold": 0.05, "relative_threshold": float(np.float32(0.9))}),
        ("one byte", np.array([[7.5]], np.float32), {"threshold": 0.0}),
        ("two bytes", np.array([[7.5, 0.0]], np.float32), {"threshold": 0.0}),
    ]


@pytest.mark.parametrize("max_size", MAX_SIZES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, entropies, settings", edge_cases(),
                         ids=[case[0] for case in edge_cases()])
def test_the_patcher_cuts_the_patches_of_the_rules_at_the_edges(configs, mode, max_size,
                                                               name, entropies, settings):
    data = np.resize(TEXT, entropies.shape)
    config = attrs.evolve(configs[mode], max_patch_size=max_size, **settings)
    assert model_lengths(config, entropies, data) == rule_lengths(config, entropies, data)


def test_the_edges_are_edges():
    """The cases above cut what their names say (by the rules, so by the patcher too)."""
    assert patch_lengths(np.zeros(12), threshold=2.0) == [12]
    assert patch_lengths(np.full(12, 8.0), threshold=2.0) == [1] * 12
    assert patch_lengths(np.full(6, 2.0), threshold=2.0) == [6]  # strictly greater
    assert patch_lengths(np.full(12, 8.0), threshold=8.0, max_patch_size=1) == [1] * 12
    assert patch_lengths(np.full(10, 0.0), max_patch_size=4) == [4, 4, 2]  # greedy
    assert patch_lengths(np.cumsum(np.ones(10)), "relative", relative_threshold=1.0) == [10]
    low = np.float32(2.0)
    high = np.nextafter(low, np.float32(9))
    halfway = (float(low) + float(high)) / 2
    # float32 rounds the threshold to one of the two values; the rules compare it exactly
    assert np.float32(halfway) in (low, high) and comparable(halfway) == low
    assert patch_lengths([low, high, low, high], threshold=halfway) == [2, 2]
    # rises are float32 differences, as the model computes them
    assert float(np.float32(2.0) - np.float32(0.3)) > RISE
    assert patch_lengths([0.0, 0.3, 2.0, 0.0], "relative", relative_threshold=RISE) == [3, 1]
    assert float(np.float32(1.0) - np.float32(0.1)) == float(np.float32(0.9)) < 1.0 - 0.1
    assert patch_lengths([0.0, 0.1, 1.0, 0.0], "relative",
                         relative_threshold=float(np.float32(0.9))) == [4]

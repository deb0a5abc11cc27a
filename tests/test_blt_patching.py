"""Entropy patching on hand-computed arrays, its conventions, and calibration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neat_core.errors import DataError, UsageError
from neat_plugins.blt import calibrate_threshold, patch_lengths, patch_lengths_for
from neat_plugins.blt.patching.settings import MODES, PatchingConfig

#         byte: 0    1    2    3    4    5    6    7
H = np.array([1.0, 3.0, 0.5, 0.2, 4.0, 5.0, 1.0, 9.9])


def test_global_starts_a_patch_after_each_byte_whose_entropy_exceeds_theta():
    # H(1)=3, H(4)=4, H(5)=5 > 2: patches start at 2, 5, 6; H(7) predicts past the end
    assert patch_lengths(H, "global", threshold=2.0) == [2, 3, 1, 2]
    assert patch_lengths(H, "global", threshold=3.0) == [5, 1, 2]  # strictly greater
    assert patch_lengths(H, "global", threshold=8.0) == [8]


def test_relative_starts_a_patch_after_a_rise_above_theta_r():
    # H(t)-H(t-1) for t=1..6: 2, -2.5, -0.3, 3.8, 1.0, -4 -> rises > 1 at t=1, 4
    assert patch_lengths(H, "relative", relative_threshold=1.0) == [2, 3, 3]
    assert patch_lengths(H, "relative", relative_threshold=0.5) == [2, 3, 1, 2]


def test_relative_never_splits_after_the_first_byte():
    assert patch_lengths([8.0, 0.0, 0.0], "relative", relative_threshold=0.0) == [3]


def test_combined_needs_both_conditions():
    # t=5: H=5 > 2 but the rise is only 1.0; t=1 and t=4 pass both
    assert patch_lengths(H, "combined", threshold=2.0, relative_threshold=1.0) == [2, 3, 3]
    # t=4 rises by 3.8 but H=4 is not above 4.5; t=5 is above 4.5 but rises by 1 only
    assert patch_lengths(H, "combined", threshold=4.5, relative_threshold=0.5) == [6, 2]


def test_static_cuts_fixed_sizes_and_ignores_entropy():
    assert patch_lengths(H, "static", patch_size=3) == [3, 3, 2]
    assert patch_lengths(np.zeros(6), "static", patch_size=3) == [3, 3]


def test_space_starts_a_patch_after_each_run_of_whitespace_and_punctuation():
    data = b"ab, cd  e.f"
    assert patch_lengths(np.zeros(len(data)), "space", data=data) == [4, 4, 2, 1]
    # non-ASCII bytes belong to words
    assert patch_lengths(np.zeros(7), "space", data="é b".encode() + b"!?x") == [3, 3, 1]


def test_min_patch_size_merges_short_patches_into_the_next_one():
    everywhere = np.full(10, 9.0)  # a boundary after every byte
    # the short last patch (byte 9) is merged into the one before
    assert patch_lengths(everywhere, "global", min_patch_size=3) == [3, 3, 4]
    # [2, 3, 1, 2]: the 1-byte patch merges with the patch after it
    assert patch_lengths(H, "global", threshold=2.0, min_patch_size=2) == [2, 3, 3]
    assert patch_lengths(np.full(2, 9.0), "global", min_patch_size=5) == [2]


def test_max_patch_size_ends_a_patch_that_reaches_it():
    # greedy, as the BLT cuts inside the model (an even split would need later bytes)
    assert patch_lengths(np.zeros(10), "global", max_patch_size=4) == [4, 4, 2]
    assert patch_lengths(np.zeros(9), "global", max_patch_size=8) == [8, 1]
    assert patch_lengths(H, "global", threshold=8.0, max_patch_size=3, min_patch_size=2) == \
        [3, 3, 2]


def test_edge_inputs():
    assert patch_lengths([], "global") == []
    assert patch_lengths([], "space", data=b"") == []
    assert patch_lengths([7.5], "global", threshold=0.0) == [1]


def test_bad_arguments_are_clear_errors():
    with pytest.raises(UsageError, match="unknown patching mode 'glob'") as error:
        patch_lengths(H, "glob")
    assert "global, relative, combined, static, space" in error.value.hint
    with pytest.raises(UsageError, match="needs the bytes"):
        patch_lengths(H, "space")
    with pytest.raises(UsageError, match="data has 3 bytes but there are 8 entropies"):
        patch_lengths(H, "space", data=b"abc")
    with pytest.raises(UsageError, match="1-D"):
        patch_lengths(np.zeros((2, 2)), "global")


@settings(max_examples=300, deadline=None)
@given(entropies=st.lists(st.floats(0, 8), max_size=200), mode=st.sampled_from(MODES),
       threshold=st.floats(0, 8), relative=st.floats(0, 8),
       patch_size=st.integers(1, 20), min_size=st.none() | st.integers(1, 12),
       max_size=st.none() | st.integers(1, 24), data=st.data())
def test_lengths_always_sum_to_the_input_and_respect_max(entropies, mode, threshold, relative,
                                                         patch_size, min_size, max_size, data):
    raw = data.draw(st.binary(min_size=len(entropies), max_size=len(entropies)))
    lengths = patch_lengths(entropies, mode, threshold=threshold, relative_threshold=relative,
                            patch_size=patch_size, min_patch_size=min_size,
                            max_patch_size=max_size, data=raw)
    assert sum(lengths) == len(entropies)
    assert all(length >= 1 for length in lengths)
    if max_size is not None:
        assert max(lengths, default=0) <= max_size
    if min_size is not None and max_size is None and len(lengths) > 1:
        assert min(lengths) >= min_size


def test_calibration_reaches_the_target_average():
    entropies = np.random.default_rng(0).uniform(0, 8, 20_000).astype(np.float32)
    for target in (1.5, 4.0, 10.0):
        theta = calibrate_threshold(entropies, target)
        average = len(entropies) / len(patch_lengths(entropies, threshold=theta))
        assert average == pytest.approx(target, rel=0.01)
    relative = calibrate_threshold(entropies, 4.0, "relative")
    average = len(entropies) / len(patch_lengths(entropies, "relative",
                                                 relative_threshold=relative))
    assert average == pytest.approx(4.0, rel=0.02)


def test_calibrated_threshold_survives_rounding():
    entropies = np.random.default_rng(1).uniform(0, 8, 5_000).astype(np.float32)
    theta = calibrate_threshold(entropies, 5.0)
    assert patch_lengths(entropies, threshold=float(f"{theta:.6g}")) == \
        patch_lengths(entropies, threshold=theta)


def test_calibration_respects_min_and_max_patch_size():
    entropies = np.random.default_rng(2).uniform(0, 8, 5_000)
    theta = calibrate_threshold(entropies, 6.0, min_patch_size=2, max_patch_size=8)
    lengths = patch_lengths(entropies, threshold=theta, min_patch_size=2, max_patch_size=8)
    assert len(entropies) / len(lengths) == pytest.approx(6.0, rel=0.02)


def test_unreachable_targets_give_the_nearest_end():
    entropies = np.array([1.0, 2.0, 3.0, 4.0])
    assert calibrate_threshold(entropies, 100.0) == 8.0  # one patch is the most
    assert calibrate_threshold(np.full(4, 5.0), 1.0, max_patch_size=None) == 0.0
    assert calibrate_threshold(np.zeros(4), 1.0) == 0.0  # H=0 never exceeds any θ


def test_calibration_needs_a_threshold_mode_and_data():
    with pytest.raises(UsageError, match="'static' has no threshold"):
        calibrate_threshold(H, 4.0, "static")
    with pytest.raises(DataError, match="empty"):
        calibrate_threshold([], 4.0)
    with pytest.raises(UsageError, match="positive"):
        calibrate_threshold(H, 0.0)


def test_patch_lengths_for_a_config_section():
    config = PatchingConfig(mode="global", threshold=2.0)
    assert patch_lengths_for(H, config) == [2, 3, 1, 2]
    data = b"ab, cd  e.f"
    assert patch_lengths_for(np.zeros(11), PatchingConfig(mode="space"), data) == [4, 4, 2, 1]
    entropies = np.random.default_rng(3).uniform(0, 8, 4_000)
    lengths = patch_lengths_for(entropies, PatchingConfig(target_patch_size=8.0))
    assert len(entropies) / len(lengths) == pytest.approx(8.0, rel=0.02)

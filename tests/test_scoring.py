"""Per-byte entropy and NLL: exact values, sliding windows, context, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from neat_core.errors import UsageError
from neat_core.scoring import compute_entropies, entropy_bits, plan_windows, score_bytes

from .blt_util import (
    CORPUS,
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_model,
    train,
)

BLOCK = 32


@pytest.fixture(scope="module")
def trained():
    model = tiny_model(block_size=BLOCK)
    train(model, steps=60)
    return model


def logits_of(model, data: bytes) -> torch.Tensor:
    idx = torch.tensor(list(data)).unsqueeze(0)
    with torch.no_grad():
        return model(idx)[0].double()


def test_entropy_is_minus_sum_p_log2_p_of_the_softmax(trained):
    data = CORPUS[:BLOCK]
    p = torch.softmax(logits_of(trained, data), dim=-1)
    expected = -(p * torch.log2(p)).sum(-1).numpy()
    entropies = compute_entropies(trained, data)
    assert entropies.dtype == np.float32 and entropies.shape == (BLOCK,)
    np.testing.assert_allclose(entropies, expected, atol=1e-4)
    assert 0 <= entropies.min() and entropies.max() <= 8


def test_entropy_bits_of_known_distributions():
    uniform = torch.zeros(1, 256)
    certain = torch.full((1, 256), -1e4)
    certain[0, 7] = 0.0
    two = torch.full((1, 256), -1e4)
    two[0, :2] = 0.0
    values = entropy_bits(torch.cat([uniform, certain, two])).tolist()
    assert values == pytest.approx([8.0, 0.0, 1.0], abs=1e-5)


def test_an_untrained_model_is_near_8_bits_a_trained_one_is_not(trained):
    assert compute_entropies(tiny_model(), CORPUS[:200]).mean() > 7.9
    assert compute_entropies(trained, CORPUS[:200]).mean() < 5.0


def test_window_equals_full_context_where_both_fit(trained):
    data = CORPUS[100:200]
    full = entropy_bits(logits_of(trained, data[:BLOCK])).numpy()
    for stride in (1, 8, 16, 32):
        windowed = compute_entropies(trained, data, stride=stride, batch_size=7)
        np.testing.assert_allclose(windowed[:BLOCK], full, atol=1e-5)


def test_stride_one_gives_every_byte_a_full_context(trained):
    data = CORPUS[:90]
    windowed = compute_entropies(trained, data, stride=1, batch_size=5)
    for t in range(BLOCK, len(data)):
        context = data[t - BLOCK + 1:t + 1]  # the block_size bytes ending at t
        expected = entropy_bits(logits_of(trained, context)[-1]).item()
        assert windowed[t] == pytest.approx(expected, abs=1e-4), t


def test_sliding_window_keeps_context_where_chunks_would_reset_it(trained):
    data = CORPUS[:BLOCK * 12]
    sliding = compute_entropies(trained, data)  # default stride: block_size // 2
    chunked = np.concatenate([compute_entropies(trained, data[s:s + BLOCK])
                              for s in range(0, len(data), BLOCK)])
    chunk_starts = np.arange(BLOCK, len(data), BLOCK)
    # a reset context makes the model unsure at each chunk start; the window does not
    reset, kept = chunked[chunk_starts].mean(), sliding[chunk_starts].mean()
    assert reset > 2 * kept and reset > kept + 0.5
    assert abs(kept - sliding.mean()) < 0.5


@settings(max_examples=200, deadline=None)
@given(length=st.integers(1, 300), block=st.integers(2, 64), data=st.data())
def test_windows_score_each_position_once_with_at_least_block_minus_stride_context(
        length, block, data):
    stride = data.draw(st.integers(1, block))
    starts, first = plan_windows(length, block, stride)
    width = min(block, length)
    scored = np.zeros(length, dtype=int)
    for start, begin in zip(starts.tolist(), first.tolist()):
        assert 0 <= start and start + width <= length and start <= begin
        scored[begin:start + width] += 1
        for t in range(begin, start + width):
            assert t - start + 1 >= min(t + 1, block - stride + 1)  # bytes of context
    assert scored.tolist() == [1] * length


def test_bad_stride_is_a_clear_error(trained):
    for stride in (0, 40):
        with pytest.raises(UsageError, match=f"stride {stride} must be between 1"):
            compute_entropies(trained, CORPUS[:100], stride=stride)


def test_batch_size_does_not_change_the_result(trained):
    data = CORPUS[:400]
    np.testing.assert_allclose(compute_entropies(trained, data, batch_size=1),
                               compute_entropies(trained, data, batch_size=7), atol=1e-5)


def test_score_bytes_is_the_next_byte_nll_in_nats(trained):
    data = CORPUS[50:50 + BLOCK + 1]
    logp = F.log_softmax(logits_of(trained, data[:-1]), dim=-1)
    expected = [-logp[t, data[t + 1]].item() for t in range(len(data) - 1)]
    scores = score_bytes(trained, data)
    assert scores.shape == (len(data) - 1,)
    np.testing.assert_allclose(scores, expected, atol=1e-4)


def test_score_bytes_windows_like_entropies(trained):
    data = CORPUS[:130]
    scores = score_bytes(trained, data, stride=1, batch_size=16)
    t = 100
    logp = F.log_softmax(logits_of(trained, data[t - BLOCK + 1:t + 1])[-1], dim=-1)
    assert scores[t] == pytest.approx(-logp[data[t + 1]].item(), abs=1e-4)
    bits_per_byte = scores.mean() / math.log(2)
    assert 0 < bits_per_byte < compute_entropies(tiny_model(), data).mean()


def test_short_and_empty_inputs():
    model = tiny_model()
    assert compute_entropies(model, b"").shape == (0,)
    assert compute_entropies(model, b"x").shape == (1,)
    assert score_bytes(model, b"x").shape == (0,)
    assert score_bytes(model, b"xy").shape == (1,)


def test_arrays_of_bytes_are_accepted_and_other_arrays_refused(trained):
    data = CORPUS[:100]
    array = np.frombuffer(data, dtype=np.uint8)
    np.testing.assert_array_equal(compute_entropies(trained, array),
                                  compute_entropies(trained, data))
    with pytest.raises(UsageError, match="uint8"):
        compute_entropies(trained, array.astype(np.int32))


def test_scoring_uses_eval_mode_and_restores_the_mode():
    model = tiny_model(dropout=0.5)
    model.train()
    first = compute_entropies(model, CORPUS[:100])
    assert model.training
    np.testing.assert_array_equal(first, compute_entropies(model, CORPUS[:100]))


def test_progress_bar_does_not_change_the_result(trained, capsys):
    data = CORPUS[:300]
    np.testing.assert_array_equal(compute_entropies(trained, data, progress=True),
                                  compute_entropies(trained, data))
    assert capsys.readouterr().out == ""  # a bar would only ever go to stderr

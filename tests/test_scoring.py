"""Per-byte entropy and NLL: exact values, sliding windows, the key/value cache, context,
inputs."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from neat_core.errors import UsageError
from neat_core.scoring import compute_entropies, entropy_bits, plan_lanes, plan_windows, score_bytes

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
    windowed = compute_entropies(trained, data, stride=1, batch_size=5, cache=False)
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
        for cache in (True, False):
            with pytest.raises(UsageError, match=f"stride {stride} must be between 1"):
                compute_entropies(trained, CORPUS[:100], stride=stride, cache=cache)


# --- the key/value cache --------------------------------------------------------------------

@pytest.mark.parametrize("length", [BLOCK + 1, 100, 700])
def test_cache_equals_the_stride_one_window_for_a_one_layer_model(length):
    # one layer: its keys depend on the byte and its position only, so the cache gives
    # exactly what a window of block_size bytes ending at each byte gives
    model = tiny_model(block_size=BLOCK, num_layers=1)
    train(model, steps=30)
    data = CORPUS[:length]
    for batch_size in (1, 3, 16):
        np.testing.assert_allclose(
            compute_entropies(model, data, batch_size=batch_size),
            compute_entropies(model, data, stride=1, cache=False), atol=1e-4)
        np.testing.assert_allclose(score_bytes(model, data, batch_size=batch_size),
                                   score_bytes(model, data, stride=1, cache=False),
                                   atol=1e-4)


def test_with_hash_ngrams_one_layer_is_not_the_stride_one_window():
    """The n-grams of a window's first bytes see no byte before it; through the cache
    they read the bytes before, so the two rules differ even with one layer (docs/blt.md
    once said otherwise). The cache's rule holds whatever the rows' split."""
    model = tiny_model(block_size=BLOCK, num_layers=1, hash_ngrams=[3, 4], hash_buckets=64)
    with torch.no_grad():  # entropies that vary, without training
        model.head.weight.mul_(100.0)
    data = CORPUS[:600]
    cached = compute_entropies(model, data)
    window = compute_entropies(model, data[:200], stride=1, cache=False)
    np.testing.assert_allclose(cached[:BLOCK], window[:BLOCK], atol=1e-4)
    assert np.abs(cached[BLOCK:200] - window[BLOCK:]).max() > 1e-2
    with torch.no_grad():
        stream = entropy_bits(model.stream(torch.tensor([list(data)])))[0].numpy()
    assert len(plan_lanes(len(data), 16, model.new_cache(1).reach)[1]) > 1
    for batch_size in (1, 16):  # one row, or rows side by side
        np.testing.assert_allclose(compute_entropies(model, data, batch_size=batch_size),
                                   stream, atol=1e-4)


def test_cache_gives_deeper_models_more_context_than_the_default_window(trained):
    # with more layers, cached keys carry their own full context (sliding-window
    # attention), where a window restarts every layer's context at its first byte: both
    # approximate the full context of every byte (stride 1), the cache more closely
    data = CORPUS[:1500]
    full = compute_entropies(trained, data, stride=1, cache=False)
    cached = compute_entropies(trained, data)
    window = compute_entropies(trained, data, cache=False)
    assert not np.allclose(cached, window, atol=1e-3)  # the cache was used
    assert np.abs(cached - full).mean() < 0.6 * np.abs(window - full).mean()
    np.testing.assert_allclose(cached[:BLOCK], full[:BLOCK], atol=1e-4)


def test_learned_positions_keep_the_window():
    model = tiny_model(block_size=BLOCK, positional="learned")
    assert model.new_cache(4) is None  # absolute positions cannot slide
    data = CORPUS[:300]
    np.testing.assert_array_equal(compute_entropies(model, data),
                                  compute_entropies(model, data, cache=False))


def test_a_model_without_cache_methods_is_scored_with_the_window(trained):
    class Plain(torch.nn.Module):  # only the required contract
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.config = trained, trained.config

        def forward(self, idx):
            return self.inner(idx)

    data = CORPUS[:300]
    np.testing.assert_array_equal(compute_entropies(Plain(), data),
                                  compute_entropies(trained, data, cache=False))


@settings(max_examples=200, deadline=None)
@given(length=st.integers(2, 5000), lanes=st.integers(1, 64), keep=st.integers(1, 128))
def test_lanes_score_each_position_once_with_a_full_context(length, lanes, keep):
    width, starts = plan_lanes(length, lanes, keep)
    assert 1 <= len(starts) <= lanes and starts[0] == 0
    scored = np.zeros(length, dtype=int)
    for row, start in enumerate(starts.tolist()):
        first = start if row == 0 else start + keep  # later rows read keep bytes first
        scored[first:min(start + width, length)] += 1
    assert scored.tolist() == [1] * length
    assert (len(starts) - 1) * keep <= length / 8  # bytes read only as context


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
    scores = score_bytes(trained, data, stride=1, batch_size=16, cache=False)
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


@pytest.mark.parametrize("cache", [True, False])
def test_each_forward_batch_is_timed_for_the_backend(trained, cache, monkeypatch):
    data = CORPUS[:1000]
    cached_forwards = []
    entropies_cached = trained.entropies_cached  # what compute_entropies calls, cached
    monkeypatch.setattr(trained, "entropies_cached",
                        lambda *args: cached_forwards.append(1) or entropies_cached(*args))
    seconds: list[float] = []
    compute_entropies(trained, data, batch_size=4, cache=cache, observe=seconds.append)
    windows = len(plan_windows(len(data), BLOCK, BLOCK // 2)[0])
    assert len(seconds) > 1 and all(s > 0 for s in seconds)
    assert len(seconds) == (len(cached_forwards) if cache else -(-windows // 4))
    assert bool(cached_forwards) == cache


def test_the_scorer_reports_batches_to_its_backend(trained):
    from neat_core.config import default_config
    from neat_core.scoring import Scorer

    class Backend:
        device = torch.device("cpu")
        seconds: list[float] = []

        def autocast(self):
            return contextlib.nullcontext()

        def observe_step(self, seconds: float) -> None:
            self.seconds.append(seconds)

    backend = Backend()
    Scorer(trained, default_config(), backend).nll(CORPUS[:2000])
    assert len(backend.seconds) > 1

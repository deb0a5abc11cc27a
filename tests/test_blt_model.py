"""The blt-entropy model: shapes, causality, learning, configuration."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import neat_core
from neat_core.errors import ConfigError, UsageError
from neat_plugins.blt.entropy_model.model import EntropyModel
from neat_plugins.blt.entropy_model.settings import BltEntropyConfig

from .blt_util import (
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_config,
    tiny_model,
    train,
)


@pytest.mark.parametrize("positional", ["rope", "learned"])
def test_forward_gives_next_byte_logits(positional):
    model = tiny_model(positional=positional)
    idx = torch.randint(0, 256, (3, 20))
    assert model(idx).shape == (3, 20, 256)


@pytest.mark.parametrize("positional", ["rope", "learned"])
def test_changing_a_later_byte_never_changes_earlier_outputs(positional):
    model = tiny_model(positional=positional).eval()
    generator = torch.Generator().manual_seed(1)
    idx = torch.randint(0, 256, (1, 32), generator=generator)
    with torch.no_grad():
        base = model(idx)
        for position in (0, 5, 17, 31):
            changed = idx.clone()
            changed[0, position] = (changed[0, position] + 1) % 256
            out = model(changed)
            assert torch.equal(out[:, :position], base[:, :position]), position
            # the change is visible from its own position on: the check can fail
            assert not torch.allclose(out[:, position], base[:, position])


def test_loss_decreases_on_a_tiny_corpus():
    model = tiny_model()
    losses = train(model, steps=40)
    assert losses[0] == pytest.approx(math.log(256), abs=0.2)  # uniform at init
    assert sum(losses[-5:]) / 5 < 0.6 * losses[0]


def test_loss_with_targets_is_the_next_byte_cross_entropy():
    model = tiny_model().eval()
    idx = torch.randint(0, 256, (2, 16))
    targets = torch.randint(0, 256, (2, 16))
    logits, loss = model(idx, targets)
    assert torch.equal(logits, model(idx))
    assert loss.item() == pytest.approx(
        F.cross_entropy(logits.reshape(-1, 256), targets.reshape(-1)).item())


def test_input_longer_than_the_context_is_a_clear_error():
    model = tiny_model(block_size=16)
    with pytest.raises(UsageError, match="longer than model.block_size"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_feed_forward_width_and_weight_tying_follow_the_config():
    default = tiny_model()
    assert default.blocks[0].ffn.up.out_features == 4 * 32
    assert default.head.weight is not default.embed.weight
    custom = tiny_model(ffn_size=48, tie_weights=True)
    assert custom.blocks[0].ffn.up.out_features == 48
    assert custom.head.weight is custom.embed.weight
    assert custom.num_parameters() < default.num_parameters()


def test_learned_positions_are_weights_rope_tables_are_not():
    assert "pos_embed.weight" in tiny_model(positional="learned").state_dict()
    rope_state = tiny_model(positional="rope").state_dict()
    assert not any("rope" in key or "pos_embed" in key for key in rope_state)


def test_rope_needs_an_even_head_size():
    with pytest.raises(ConfigError, match="even head size"):
        BltEntropyConfig(hidden_size=12, num_heads=4)
    BltEntropyConfig(hidden_size=12, num_heads=4, positional="learned")


def test_registry_builds_the_model_from_its_config():
    entry = neat_core.get_registry().models["blt-entropy"]
    config = tiny_config(num_layers=3).model
    model = entry.factory(config)
    assert isinstance(model, EntropyModel)
    assert model.config is config and len(model.blocks) == 3


# --- the key/value cache ------------------------------------------------------------------

def cached_logits(model, idx: torch.Tensor, pieces: list[int]) -> torch.Tensor:
    """forward_cached over ``idx`` fed in pieces of these lengths (the rest at the end)."""
    cache = model.new_cache(idx.shape[0])
    bounds = [0, *torch.tensor(pieces).cumsum(0).tolist(), idx.shape[1]]
    with torch.no_grad():
        return torch.cat([model.forward_cached(idx[:, lo:hi], cache)
                          for lo, hi in zip(bounds, bounds[1:]) if hi > lo], dim=1)


@pytest.mark.parametrize("pieces", [[1] * 40, [5, 1, 16, 20, 3], [16, 16, 16], [70]])
@pytest.mark.parametrize("hashed", [{}, {"hash_ngrams": [2, 4], "hash_buckets": 64}])
def test_cached_pieces_equal_one_pass_and_the_plain_forward_within_the_context(pieces,
                                                                              hashed):
    model = tiny_model(block_size=16, num_layers=3, **hashed).eval()
    idx = torch.randint(0, 256, (3, 90), generator=torch.Generator().manual_seed(2))
    whole = cached_logits(model, idx, [])  # one call: attention over a band of 16 bytes
    torch.testing.assert_close(cached_logits(model, idx, pieces), whole,
                               atol=1e-5, rtol=1e-5)
    with torch.no_grad():  # until the band slides, it is the plain causal forward
        torch.testing.assert_close(whole[:, :16], model(idx[:, :16]), atol=1e-5, rtol=1e-5)


def test_a_cached_byte_sees_the_block_size_bytes_that_end_at_it():
    # (with hash n-grams a cached byte's n-gram also reads the bytes before its window,
    # where a window cuts it short: the pieces test above covers that model)
    model = tiny_model(block_size=16, num_layers=1).eval()
    idx = torch.randint(0, 256, (2, 60), generator=torch.Generator().manual_seed(3))
    logits = cached_logits(model, idx, [7] * 8)
    with torch.no_grad():
        for t in (15, 16, 33, 59):
            expected = model(idx[:, t - 15:t + 1])[:, -1]
            torch.testing.assert_close(logits[:, t], expected, atol=1e-5, rtol=1e-5)
    changed = idx.clone()
    changed[:, 10] = (changed[:, 10] + 1) % 256  # outside the context of byte 26 on
    assert torch.equal(cached_logits(model, changed, [7] * 8)[:, 26:], logits[:, 26:])


def test_cache_errors_and_learned_positions():
    assert tiny_model(positional="learned").new_cache(2) is None
    model = tiny_model()
    with pytest.raises(UsageError, match="a batch of 3 rows for a cache of 2"):
        model.forward_cached(torch.zeros(3, 4, dtype=torch.long), model.new_cache(2))

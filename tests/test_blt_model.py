"""The blt-entropy model: shapes, causality, learning, configuration."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import neat_core
from neat_core.errors import ConfigError, UsageError
from neat_plugins.blt.config import BltEntropyConfig
from neat_plugins.blt.model import EntropyModel

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

"""The full BLT: hash n-grams, patching inside the model, causality in every patching
mode, the decoder shift, empty patches, the analytic FLOP count."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from neat_core.errors import CheckpointError, ConfigError, UsageError
from neat_plugins.blt.byte_latent.patcher import patch_ids
from neat_plugins.blt.layers.hash_ngrams import HASH_BASE, HASH_MODULUS, ngram_hashes
from neat_plugins.blt.patching.rules import patch_lengths

from .blt_util import (
    CORPUS,
    blt_config,
    one_torch_thread,  # noqa: F401 - autouse fixture
    save_entropy_checkpoint,
    tiny_blt,
    tiny_model,
)

TEXT = CORPUS[:32]


@pytest.fixture(scope="module")
def entropy_checkpoint(tmp_path_factory):
    return str(save_entropy_checkpoint(tmp_path_factory.mktemp("entropy") / "best"))


def modes(checkpoint: str) -> dict[str, dict]:
    """Every patching mode, with settings that give several patches per window."""
    entropy = {"entropy_checkpoint": checkpoint}
    return {
        "static": {"patching": "static", "patch_size": 3},
        "space": {"patching": "space"},
        "global": {"patching": "global", "threshold": 1.5, **entropy},
        "relative": {"patching": "relative", "relative_threshold": 0.5, **entropy},
        "combined": {"patching": "combined", "threshold": 1.0, "relative_threshold": 0.3,
                     **entropy},
        "max_patch_size": {"patching": "global", "threshold": 1.5, "max_patch_size": 3,
                           **entropy},
        "patches_per_window": {"patching": "global", "threshold": 1.5,
                               "patches_per_window": 6, **entropy},
        "local_window": {"patching": "space", "local_window": 5},
    }


MODES = list(modes("").keys())


def as_idx(*texts: bytes) -> torch.Tensor:
    return torch.tensor([list(text) for text in texts])


# --- hash n-gram embeddings ------------------------------------------------------------

def hand_hash(data: bytes, t: int, n: int) -> int:
    """h_n(t) of docs/blt.md with Python integers: sum of x(i) * B^(n-1-i), mod M."""
    symbols = [0] * max(0, n - 1 - t) + [b + 1 for b in data[max(0, t - n + 1):t + 1]]
    return sum(x * HASH_BASE ** (n - 1 - i) for i, x in enumerate(symbols)) % HASH_MODULUS


def test_hash_matches_hand_computed_values():
    idx = as_idx(b"abc")
    assert ngram_hashes(idx, 2).tolist() == [[98, 98 * HASH_BASE + 99, 99 * HASH_BASE + 100]]
    data = b"\x00\xffhello, world\x00"
    for n in (3, 5, 8):
        assert ngram_hashes(as_idx(data), n)[0].tolist() == \
            [hand_hash(data, t, n) for t in range(len(data))]


def test_hash_is_deterministic_and_depends_only_on_the_ngram():
    idx = as_idx(b"abcXabcYabc")
    first, again = ngram_hashes(idx, 3), ngram_hashes(idx.clone(), 3)
    assert torch.equal(first, again)
    assert first[0, 2] == first[0, 6] == first[0, 10]  # "abc" wherever it occurs
    assert first[0, 2] != first[0, 3]
    # a NUL byte is not the same as "no byte before the start"
    assert ngram_hashes(as_idx(b"\x00a"), 2)[0, 1] != ngram_hashes(as_idx(b"a"), 2)[0, 0]


def test_hash_ngrams_are_an_option_of_the_entropy_model():
    plain, hashed = tiny_model(), tiny_model(hash_ngrams=[3, 4], hash_buckets=32)
    assert plain.hash_embed is None
    assert [t.num_embeddings for t in hashed.hash_embed.tables] == [32, 32]
    assert hashed(as_idx(TEXT)).shape == (1, 32, 256)
    with pytest.raises(ConfigError, match="hash_ngrams"):
        tiny_model(hash_ngrams=[1])


# --- patching inside the model ----------------------------------------------------------

def test_patch_ids_count_the_starts():
    starts = torch.tensor([[1, 0, 0, 1, 0, 1, 0]], dtype=torch.bool)
    assert patch_ids(starts).tolist() == [[0, 0, 0, 1, 1, 2, 2]]


@pytest.mark.parametrize("mode, settings, lengths", [
    ("global", {"threshold": 2.0}, [2, 3, 1, 2]),
    ("relative", {"relative_threshold": 1.0}, [2, 3, 3]),
    ("combined", {"threshold": 2.0, "relative_threshold": 1.0}, [2, 3, 3]),
])
def test_entropy_rules_on_the_worked_example_of_the_docs(entropy_checkpoint, mode, settings,
                                                        lengths):
    entropies = [1.0, 3.0, 0.5, 0.2, 4.0, 5.0, 1.0, 9.9]
    model = tiny_blt(patching=mode, entropy_checkpoint=entropy_checkpoint, **settings)
    starts = model.patcher.starts(as_idx(b"abcdefgh"), torch.tensor([entropies]))
    assert np.diff(np.append(np.flatnonzero(starts[0].numpy()), 8)).tolist() == lengths
    assert patch_lengths(entropies, mode, **settings) == lengths  # as `neat patch` cuts


def test_static_and_space_patches_agree_with_neat_patch():
    data = b"one two,  three...four\nfive"
    for settings in ({"patching": "static", "patch_size": 4}, {"patching": "space"}):
        starts = tiny_blt(**settings).patcher.starts(as_idx(data))[0].numpy()
        lengths = np.diff(np.append(np.flatnonzero(starts), len(data))).tolist()
        expected = patch_lengths(np.zeros(len(data)), settings["patching"], patch_size=4,
                                 data=data)
        assert lengths == expected


def test_max_patch_size_cuts_greedily_and_patches_per_window_caps(entropy_checkpoint):
    model = tiny_blt(patching="static", patch_size=10, max_patch_size=4)
    starts = model.patcher.starts(as_idx(bytes(10)))
    assert patch_ids(starts).tolist() == [[0, 0, 0, 0, 1, 1, 1, 1, 2, 2]]  # 4, 4, 2
    capped = tiny_blt(patching="global", threshold=0.0, patches_per_window=4,
                      entropy_checkpoint=entropy_checkpoint)
    starts = capped.patcher.starts(as_idx(TEXT), torch.ones(1, 32))  # a start everywhere
    assert starts[0].tolist() == [True] * 4 + [False] * 28
    # causal: a shorter input keeps as many (no count depends on the input's length)
    short = capped.patcher.starts(as_idx(TEXT[:8]), torch.ones(1, 8))
    assert short[0].tolist() == [True] * 4 + [False] * 4


@pytest.mark.parametrize("mode", ["global", "relative"])
def test_calibrate_finds_the_threshold_of_a_mean_patch_size(entropy_checkpoint, mode):
    model = tiny_blt(patching=mode, entropy_checkpoint=entropy_checkpoint)
    idx = as_idx(*(CORPUS[start:start + 32] for start in range(0, 2048, 32)))
    theta = model.patcher.calibrate(idx, 3.0)
    key = "relative_threshold" if mode == "relative" else "threshold"

    def mean_size(value: float) -> float:
        return idx.numel() / float(model.patcher.starts(idx, **{key: value}).sum())

    assert mean_size(theta) == pytest.approx(3.0, abs=0.05)
    assert mean_size(theta - 0.05) < mean_size(theta)
    with pytest.raises(UsageError, match="no threshold"):
        tiny_blt(patching="static").patcher.calibrate(idx, 3.0)


@pytest.mark.parametrize("ngrams", [[], [3, 4]])
def test_the_patcher_reads_entropies_by_the_rule_of_scoring(tmp_path, ngrams):
    """One context rule: the BLT's window is a stream read through the entropy model's
    cache, as compute_entropies (neat patch, the analysers) reads any input, also past
    the entropy model's context and with hash n-grams, which reach across it."""
    from neat_core.scoring import compute_entropies

    checkpoint = str(save_entropy_checkpoint(tmp_path / "e", hash_ngrams=ngrams))
    model = tiny_blt(patching="global", entropy_checkpoint=checkpoint)
    entropy_model = model.patcher.entropy_model
    assert entropy_model.config.block_size == 16 < model.config.block_size
    windows = as_idx(TEXT, CORPUS[300:332])
    inside = model.patcher.entropies(windows).numpy()
    for row, data in enumerate((TEXT, CORPUS[300:332])):
        np.testing.assert_allclose(inside[row], compute_entropies(entropy_model, data),
                                   atol=1e-5)


# --- causality and the decoder shift ---------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_changing_a_later_byte_never_changes_earlier_logits(entropy_checkpoint, mode):
    model = tiny_blt(**modes(entropy_checkpoint)[mode]).eval()
    idx = as_idx(TEXT)
    assert model.patcher.starts(idx).sum() >= 4  # a test with patches worth the name
    with torch.no_grad():
        base = model(idx)
        for position in range(32):
            for delta in (1, 32, 128):
                changed = idx.clone()
                changed[0, position] = (changed[0, position] + delta) % 256
                out = model(changed)
                # equal up to float rounding (the number of patches may change the shapes)
                assert torch.allclose(out[0, :position], base[0, :position], atol=1e-5,
                                      rtol=0), (position, delta)
        assert not torch.allclose(out[0, 31], base[0, 31])  # the change is seen at its byte


def test_each_byte_reads_the_latent_output_of_the_patches_before_its_own():
    """Bytes see only themselves (window 1, no hash n-grams), so any other byte can reach
    them only through the latent transformer: patch j's bytes must depend on the bytes of
    patches 0..j-1 and on nothing else."""
    model = tiny_blt(local_window=1, hash_ngrams=[], block_size=8).eval()
    starts = torch.tensor([[1, 0, 0, 1, 0, 1, 0, 0]], dtype=torch.bool)  # patches 3, 2, 3
    idx = as_idx(b"abcdefgh")
    base = model(idx, patch_starts=starts)
    reads = {}
    for position in range(8):
        changed = idx.clone()
        changed[0, position] += 1
        out = model(changed, patch_starts=starts)
        reads[position] = [t for t in range(8) if not torch.allclose(out[0, t], base[0, t])]
    assert reads == {0: [0, 3, 4, 5, 6, 7], 1: [1, 3, 4, 5, 6, 7], 2: [2, 3, 4, 5, 6, 7],
                     3: [3, 5, 6, 7], 4: [4, 5, 6, 7], 5: [5], 6: [6], 7: [7]}


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_a_window_of_one_patch_never_gives_nan(entropy_checkpoint, pooling):
    # one patch per row, far fewer than patches_per_window
    model = tiny_blt(patching="global", threshold=8.0, patches_per_window=10,
                     pooling=pooling, entropy_checkpoint=entropy_checkpoint)
    idx = as_idx(TEXT, CORPUS[100:132])
    logits, loss = model(idx[:, :-1], idx[:, 1:])
    loss.backward()
    assert torch.isfinite(logits).all() and torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_rows_with_different_patch_counts_batch_together():
    model = tiny_blt(patching="space").eval()
    short_words, no_space = CORPUS[:32], b"x" * 32
    batch = model(as_idx(short_words, no_space))
    assert torch.allclose(batch[0], model(as_idx(short_words))[0], atol=1e-5)
    assert torch.allclose(batch[1], model(as_idx(no_space))[0], atol=1e-5)


# --- configuration and the entropy model's weights --------------------------------------

def test_entropy_settings_and_weights_come_from_the_checkpoint(entropy_checkpoint):
    from neat_core import load_checkpoint

    model = tiny_blt(patching="global", entropy_checkpoint=entropy_checkpoint)
    saved = load_checkpoint(entropy_checkpoint)
    assert model.config.entropy == saved.config.model
    for name, tensor in model.patcher.entropy_model.state_dict().items():
        assert torch.equal(tensor, saved.state_dict[name])
    assert not any(p.requires_grad for p in model.patcher.entropy_model.parameters())
    model.train()
    assert not model.patcher.entropy_model.training


@pytest.mark.parametrize("settings, message", [
    ({"patching": "global"}, "needs model.entropy_checkpoint"),
    ({"patching": "static", "entropy_checkpoint": "x"}, "uses no entropy model"),
    ({"patching": "global", "entropy_checkpoint": "/nonexistent"}, "cannot read"),
    ({"local_size": 24, "local_heads": 5}, "must be divisible by model.local_heads"),
    ({"latent_size": 36, "latent_heads": 4}, "heads of even size"),
    ({"patches_per_window": 40}, "larger than model.block_size"),
])
def test_bad_settings_are_config_errors(settings, message):
    with pytest.raises(ConfigError, match=message):
        blt_config(**settings)


def test_an_entropy_checkpoint_of_another_model_is_refused(tmp_path):
    from neat_core import save_checkpoint

    blt = tiny_blt()
    save_checkpoint(tmp_path / "blt", blt, blt_config())
    with pytest.raises(ConfigError, match="holds a 'blt' model"):
        blt_config(patching="global", entropy_checkpoint=str(tmp_path / "blt"))


def test_a_new_blt_without_its_entropy_weights_says_so(entropy_checkpoint, tmp_path):
    config = blt_config(patching="global", entropy_checkpoint=entropy_checkpoint).model
    # the settings are known (as in a saved BLT config), the checkpoint is gone
    import attrs

    from neat_core import get_registry

    moved = attrs.evolve(config, entropy_checkpoint=str(tmp_path / "gone"))
    model = get_registry().models["blt"].factory(moved)
    with pytest.raises(CheckpointError, match="entropy model has no weights.*does not exist"):
        model.train()(as_idx(TEXT))
    model.eval()(as_idx(TEXT))  # a checkpoint's weights may still come (load_state_dict)
    model.load_state_dict(tiny_blt(patching="global",
                                   entropy_checkpoint=entropy_checkpoint).state_dict())
    model.train()(as_idx(TEXT))


def test_input_longer_than_the_context_is_a_clear_error():
    with pytest.raises(UsageError, match="longer than model.block_size"):
        tiny_blt()(torch.zeros(1, 33, dtype=torch.long))


# --- FLOPs ------------------------------------------------------------------------------

def test_entropy_model_flops_match_a_hand_count():
    model = tiny_model(hidden_size=8, num_layers=1, num_heads=2, block_size=4)
    # per byte: QKV + output 8*8^2 = 512; feed-forward 4*8*32 = 1024; attention
    # 4*8*(1+2+3+4)/4 = 80; head 2*8*256 = 4096
    assert model.flops_per_byte() == {"forward": 5712.0, "training": 3 * 5712.0}


TINY_FLOPS = {"local_size": 8, "local_heads": 2, "latent_size": 16, "latent_heads": 2,
              "latent_layers": 1, "block_size": 8, "patching": "static", "patch_size": 4,
              "hash_ngrams": [3]}


def test_blt_flops_match_a_hand_count():
    model = tiny_blt(**TINY_FLOPS)
    # per byte: encoder block 512 + 1024 + 4*8*4.5 = 1680; pooling keys/values
    # 4*64 + its 2 queries 4*8*2 = 320; decoder block 1680 + cross-attention
    # 4*64 + 4*8*2 = 320; head 4096 -> 8096
    # per patch: pooling 6*2*64 = 768; into the latent 2*2*8*16 = 512; latent block
    # 8*256 + 4*16*64 + 4*16*1.5 = 6240; out of it 2*16*2*8 = 512; decoder keys/values
    # 4*2*64 = 512 -> 8544, over 4 bytes -> 2136
    assert model.flops_per_byte() == {"forward": 10232.0, "training": 30696.0,
                                      "mean_patch_size": 4.0}


def test_blt_flops_count_the_matrix_products_the_model_runs():
    """Everything but attention, counted by torch's FLOP counter on a real forward pass."""
    model = tiny_blt(**TINY_FLOPS).eval()
    with FlopCounterMode(display=False) as counter:
        model(as_idx(b"abcdefgh"))
    counts = counter.get_flop_counts()["Global"]
    matrix = sum(v for op, v in counts.items() if "attention" not in str(op))
    # the hand count above without the attention kernels' terms: self-attention 144 +
    # 144 per byte, latent 96 per patch (the pooling's attention over each patch's bytes
    # and the decoder's cross-attention to k vectors per byte run as plain matrix
    # products, counted here)
    assert matrix == 8 * (10232 - 288 - 96 / 4)


def test_entropy_patching_lists_the_entropy_model_apart(entropy_checkpoint):
    model = tiny_blt(patching="global", threshold=1.5, entropy_checkpoint=entropy_checkpoint)
    assert model.flops_per_byte()["assumed_patch_size"] == 4.0  # patch_size, until measured
    model(as_idx(TEXT, CORPUS[200:232]))  # in training mode: patches are counted
    starts = model.patcher.starts(as_idx(TEXT, CORPUS[200:232]))
    assert model.flops_per_byte()["mean_patch_size"] == 64 / starts.sum().item()
    flops = model.flops_per_byte(mean_patch_size=4.0)
    entropy = model.patcher.entropy_model.flops_per_byte()["forward"]
    # every byte once; a 32-byte window attends to at most 16 positions (1..16, then 16)
    keys = (16 * 17 / 2 + 16 * 16) / 32
    assert flops["entropy_model"] == pytest.approx(entropy - 4 * 16 * (8.5 - keys))
    assert flops["forward"] == tiny_blt(patching="static", patch_size=4).flops_per_byte()["forward"]

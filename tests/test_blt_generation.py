"""Exact incremental BLT generation: caches for every part, patches decided as bytes
arrive; greedy output equals a full forward while the sequence fits block_size, in every
patching mode of both layouts; batched rows are independent; past block_size, one
context rule, the one scoring uses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neat_core.sampling import sample_batch, sample_stream
from neat_core.scoring import score_bytes

from .blt_util import (
    CORPUS,
    PATCHING_MODES,
    REFERENCE_MODES,
    mode_settings,
    one_torch_thread,  # noqa: F401 - autouse fixture
    save_entropy_checkpoint,
    tiny_blt,
)

# (layout, mode): every mode of each layout, and a local window
MODES = [*(("neat", mode) for mode in PATCHING_MODES), ("neat", "local_window"),
         *(("reference", mode) for mode in REFERENCE_MODES), ("reference", "local_window")]


@pytest.fixture(scope="module")
def entropy_checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    return {layout: str(save_entropy_checkpoint(root / layout, hash_ngrams=[3, 4],
                                                layout=layout))
            for layout in ("neat", "reference")}


@pytest.fixture(scope="module")
def entropy_checkpoint(entropy_checkpoints):
    return entropy_checkpoints["neat"]


def blt(entropy_checkpoint: str, mode: str, layout: str = "neat", **settings):
    if mode == "local_window":  # bytes see only the last few before them
        mode = "space" if layout == "neat" else "global"
        settings = {"local_window": 5, **settings}
    model = tiny_blt(**mode_settings(mode, entropy_checkpoint, layout=layout,
                                     **settings)).eval()
    with torch.no_grad():  # logits far apart: greedy choices that float rounding keeps
        model.decoder.head.weight.mul_(30.0)
    return model


@pytest.mark.parametrize(("layout", "mode"), MODES)
def test_greedy_generation_equals_a_full_forward_while_it_fits(entropy_checkpoints, layout,
                                                                mode):
    model = blt(entropy_checkpoints[layout], mode, layout, block_size=40)
    prompt = b"def add(a, b):"
    out = bytes(sample_stream(model, prompt, max_bytes=40 - len(prompt), temperature=0))
    context = bytearray(prompt)
    with torch.no_grad():
        expected = []
        for _ in out:
            expected.append(int(model(torch.tensor([list(context)]))[0, -1].argmax()))
            context.append(expected[-1])
    assert list(out) == expected
    assert model.patcher.starts(torch.tensor([list(context)])).sum() >= 5


@pytest.mark.parametrize("mode", ["static", "global"])
def test_batched_rows_never_depend_on_the_other_rows(entropy_checkpoint, mode):
    model = blt(entropy_checkpoint, mode)
    prompts = [b"x = 1", CORPUS[200:217], CORPUS[:40]]  # of three lengths
    for settings in ({"temperature": 0}, {"temperature": 1.0, "seed": 11}):
        together = sample_batch(model, prompts, max_bytes=20, **settings)
        seed = settings.get("seed", 0)
        alone = [bytes(sample_stream(model, prompt, max_bytes=20, **{**settings,
                                                                      "seed": seed + row}))
                 for row, prompt in enumerate(prompts)]
        assert together == alone
        assert len(set(together)) == 3


@pytest.mark.parametrize("mode", ["static", "max_patch_size"])
def test_past_block_size_the_stream_rule_is_the_scoring_rule(entropy_checkpoint, mode):
    """Scoring cuts a long input into rows that each start reach bytes early, at a
    multiple of the cache's align; they give what one stream gives."""
    model = blt(entropy_checkpoint, mode)
    data = (CORPUS * 2)[:2000]
    cache = model.new_cache(1)
    assert 8 * cache.reach < len(data)  # several rows
    one = score_bytes(model, data, batch_size=1)
    rows = score_bytes(model, data, batch_size=8)
    np.testing.assert_allclose(rows, one, atol=2e-4)


def test_a_long_prompt_is_read_from_its_reach(entropy_checkpoint):
    model = blt(entropy_checkpoint, "max_patch_size")
    prompt = (CORPUS * 2)[:700]
    assert model.new_cache(1).reach < len(prompt) - 100
    out = bytes(sample_stream(model, prompt, max_bytes=20, temperature=0))
    cache, expected = model.new_cache(1), []
    with torch.no_grad():  # the whole prompt as one stream, then byte by byte
        logits = model.forward_cached(torch.tensor([list(prompt)]), cache)[0, -1]
        for _ in out:
            expected.append(int(logits.argmax()))
            logits = model.forward_cached(torch.tensor([[expected[-1]]]), cache)[0, -1]
    assert list(out) == expected


@pytest.mark.parametrize("mode", [*REFERENCE_MODES, "local_window"])
def test_a_reference_stream_equals_a_full_forward_at_every_byte(entropy_checkpoints, mode):
    """The reference layout's caches (BOS first, each byte reading the next byte's
    patch) give a window's logits, read in pieces of any size. Only transformers' rule
    at a window's last byte differs with max_patch_size: its patcher never starts a
    patch after the input there, where a stream starts one if the rule says so."""
    model = blt(entropy_checkpoints["reference"], mode, "reference", block_size=40)
    data = torch.tensor([list(CORPUS[300:340])])
    with torch.no_grad():
        full = model(data)
        for sizes in ((40,), (13, 1, 1, 25), (1,) * 40):
            cache, pieces, start = model.new_cache(1), [], 0
            for size in sizes:
                pieces.append(model.forward_cached(data[:, start:start + size], cache))
                start += size
            cached = torch.cat(pieces, dim=1)
            last = -1 if mode == "max_patch_size" else None
            torch.testing.assert_close(cached[:, :last], full[:, :last], atol=1e-4, rtol=0)

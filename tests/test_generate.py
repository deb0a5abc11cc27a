"""`neat generate` and neat_core.generate: any registered model, sampling settings,
repeatable with a seed, the incremental path of models with a cache."""

from __future__ import annotations

import pytest
import torch

import neat_core
from neat_core import save_checkpoint
from neat_core.errors import UsageError
from neat_core.sampling import has_cache, sample_stream
from neat_plugins.blt.entropy_model.model import EntropyModel

from .blt_util import (
    blt_config,
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_blt,
    tiny_config,
    tiny_model,
)

CPU = {"backend.name": "cpu"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("generate") / "entropy"
    return save_checkpoint(path, tiny_model(block_size=16), tiny_config(block_size=16))


@pytest.fixture(scope="module")
def blt_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("generate") / "blt"
    return save_checkpoint(path, tiny_blt(patching="space", block_size=64),
                           blt_config(patching="space", block_size=64))


def test_generates_max_bytes_and_a_seed_repeats_them(checkpoint):
    first = neat_core.generate(checkpoint, "def ", max_bytes=40, seed=3, overrides=CPU)
    assert isinstance(first, bytes) and len(first) == 40
    assert neat_core.generate(checkpoint, "def ", max_bytes=40, seed=3, overrides=CPU) == first
    assert neat_core.generate(checkpoint, "def ", max_bytes=40, seed=4, overrides=CPU) != first


def test_greedy_and_top_1_pick_the_most_likely_byte(checkpoint):
    model, _ = neat_core.load_model(checkpoint)
    prompt = b"a prompt longer than the sixteen bytes of context"
    greedy = bytes(sample_stream(model, prompt, max_bytes=8, temperature=0))
    assert bytes(sample_stream(model, prompt, max_bytes=8, top_k=1, seed=9)) == greedy
    context = bytearray(prompt)
    with torch.no_grad():
        for byte in greedy:  # each byte is the argmax given the last block_size bytes
            logits = model(torch.tensor([list(context[-16:])]))[0, -1]
            assert byte == int(logits.argmax())
            context.append(byte)


def test_a_blt_generates_what_a_full_forward_predicts(blt_checkpoint):
    model, _ = neat_core.load_model(blt_checkpoint)
    assert has_cache(model)  # patches decided as bytes arrive
    out = bytes(sample_stream(model, b"one two three four", max_bytes=40, temperature=0))
    context = bytearray(b"one two three four")
    with torch.no_grad():
        for byte in out:  # while it fits block_size: the whole sequence's forward
            assert byte == int(model(torch.tensor([list(context)]))[0, -1].argmax())
            context.append(byte)


class CachedEntropyModel(EntropyModel):
    """A third-party-style model with the optional incremental methods: the cache holds
    the context and each call scores the new bytes after it (same logits as a full pass
    over the last block_size bytes)."""

    def new_cache(self, batch_size: int) -> dict:
        return {"context": torch.zeros(batch_size, 0, dtype=torch.long), "calls": []}

    def forward_cached(self, idx: torch.Tensor, cache: dict) -> torch.Tensor:
        cache["calls"].append(idx.shape[1])
        block = self.config.block_size
        context = torch.cat((cache["context"], idx), dim=1)
        outputs = [self(context[:, max(0, end - block):end])[:, -1]
                   for end in range(context.shape[1] - idx.shape[1] + 1, context.shape[1] + 1)]
        cache["context"] = context[:, -block:]
        return torch.stack(outputs, dim=1)


def test_a_model_with_a_cache_is_fed_one_byte_at_a_time_with_the_same_bytes():
    plain = tiny_model(block_size=16, positional="learned").eval()  # keeps no cache
    cached = CachedEntropyModel(plain.config).eval()
    cached.load_state_dict(plain.state_dict())
    assert has_cache(cached) and not has_cache(plain)
    calls = []
    original = cached.new_cache
    cached.new_cache = lambda batch: calls.append(original(batch)) or calls[-1]
    prompt = b"a prompt of more than sixteen bytes"
    for settings in ({"temperature": 0}, {"temperature": 1.0, "top_k": 20, "seed": 5}):
        expected = bytes(sample_stream(plain, prompt, max_bytes=20, **settings))
        assert bytes(sample_stream(cached, prompt, max_bytes=20, **settings)) == expected
    assert calls[-1]["calls"] == [16] + [1] * 19  # the prompt's last block, then byte by byte


def test_cli_prints_the_prompt_and_the_bytes(run_cli, checkpoint):
    args = ["generate", str(checkpoint), "--prompt", "héllo", "--max-bytes", "30",
            "--seed", "7", "--backend", "cpu"]
    first, again = run_cli(*args), run_cli(*args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("héllo") and first.stdout == again.stdout
    expected = neat_core.generate(checkpoint, "héllo", max_bytes=30, seed=7, overrides=CPU)
    assert first.stdout == ("héllo".encode() + expected).decode("utf-8", "replace") + "\n"


@pytest.mark.parametrize("args, message", [
    (["--prompt", ""], "the prompt is empty"),
    (["--prompt", "x", "--max-bytes", "0"], "--max-bytes"),
    (["--prompt", "x", "--temperature", "-1"], "--temperature"),
    (["--prompt", "x", "--top-k", "0"], "--top-k"),
    (["--prompt", "x", "--top-k", "257"], "--top-k"),
])
def test_bad_input_exits_2_with_one_line(run_cli, checkpoint, args, message):
    result = run_cli("generate", str(checkpoint), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stdout == ""


def test_a_missing_checkpoint_exits_2(run_cli, tmp_path):
    result = run_cli("generate", str(tmp_path / "nothing"), "--prompt", "x")
    assert result.exit_code == 2 and "checkpoint not found" in result.stderr


def test_python_api_refuses_bad_settings(checkpoint):
    with pytest.raises(UsageError, match="top_k"):
        neat_core.generate(checkpoint, "x", top_k=300)
    with pytest.raises(UsageError, match="temperature"):
        neat_core.generate(checkpoint, "x", temperature=-0.5)

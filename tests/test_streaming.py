"""Streaming `neat patch` and `neat eval` (audit defect 5): the same answers as scoring
the input in one piece, a chunk at a time, with memory that does not grow with it."""

from __future__ import annotations

import json
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neat_core.checkpoint import save_checkpoint
from neat_core.cli import cli
from neat_core.scoring import compute_entropies, score_bytes, score_stream, stream_context
from neat_plugins.blt.commands import patch as patch_cmd
from neat_plugins.blt.patching.calibration import calibrate_threshold
from neat_plugins.blt.patching.rules import patch_lengths
from neat_plugins.blt.patching.settings import PatchingConfig
from neat_plugins.blt.patching.stream import PatchStream
from neat_plugins.data import compression

from .blt_util import (
    CORPUS,
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_config,
    tiny_model,
    train,
)

TEXT = CORPUS[:1500]


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.fixture(scope="module")
def model():
    model = tiny_model()
    train(model, steps=30)
    return model


@pytest.fixture(scope="module")
def checkpoint(model, tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "ckpt", model, tiny_config())


@pytest.mark.parametrize("chunk", [7, 333, 5000])
@pytest.mark.parametrize("cache", [True, False])
def test_scoring_in_chunks_equals_scoring_at_once(model, chunk, cache):
    """Through the key/value cache, or the window at stride 1, every byte gets the same
    context either way, so the values agree."""
    settings = {"stride": 1, "cache": cache}
    context = stream_context(model) if cache else model.config.block_size
    whole = compute_entropies(model, TEXT, **settings)
    streamed = list(score_stream(lambda d: compute_entropies(model, d, **settings),
                                 pieces(TEXT, chunk), context))
    assert b"".join(c for c, _ in streamed) == TEXT
    np.testing.assert_allclose(np.concatenate([v for _, v in streamed]), whole, atol=2e-3)
    nll = list(score_stream(lambda d: score_bytes(model, d, **settings), pieces(TEXT, chunk),
                            context))
    np.testing.assert_allclose(np.concatenate([v for _, v in nll]),
                               score_bytes(model, TEXT, **settings), atol=2e-3)


def test_one_chunk_is_exactly_the_whole(model):
    (_, values), = score_stream(lambda d: compute_entropies(model, d), [TEXT], 32)
    assert np.array_equal(values, compute_entropies(model, TEXT))


MODES = st.sampled_from(["global", "relative", "combined", "static", "space"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.2, 1.0, 2.0, 2.5, 3.0, 7.5]), min_size=1, max_size=80),
       st.binary(min_size=80, max_size=80), MODES, st.floats(0, 4), st.floats(0, 2),
       st.integers(1, 6), st.sampled_from([None, 1, 2, 3, 5]),
       st.sampled_from([None, 1, 2, 4, 7]), st.lists(st.integers(1, 9), min_size=1))
def test_patch_stream_gives_exactly_the_patches_of_the_whole(entropies, data, mode, threshold,
                                                             relative, patch_size, min_size,
                                                             max_size, sizes):
    if min_size and max_size and max_size < min_size:
        return
    h, data = np.asarray(entropies, dtype=np.float32), data[:len(entropies)]
    config = PatchingConfig(mode=mode, threshold=threshold, relative_threshold=relative,
                            patch_size=patch_size, min_patch_size=min_size,
                            max_patch_size=max_size)
    expected = patch_lengths(h, mode, threshold=threshold, relative_threshold=relative,
                             patch_size=patch_size, min_patch_size=min_size,
                             max_patch_size=max_size, data=data)
    stream, made, position, turn = PatchStream(config), [], 0, 0
    while position < len(h):
        size = sizes[turn % len(sizes)]
        made += stream.feed(data[position:position + size], h[position:position + size])
        position, turn = position + size, turn + 1
    made += stream.finish()
    assert [len(p.data) for p in made] == expected
    assert b"".join(p.data for p in made) == data
    assert all(np.array_equal(p.entropies, h[p.start:p.start + len(p.data)]) for p in made)


def test_patching_in_small_chunks_gives_the_same_output(run_cli, checkpoint, tmp_path,
                                                        monkeypatch):
    """Chunked, the entropies are those of the whole input (up to float rounding) and the
    patches exactly those patch_lengths gives for them, in every format."""
    path = tmp_path / "input.txt"
    path.write_bytes(TEXT)
    args = ["patch", str(checkpoint), str(path), "--set", "backend.cpu.threads=1",
            "--set", "backend.mixed_precision=off"]  # bf16 would round differently
    outputs = {}
    for chunk in (1 << 20, 97):
        monkeypatch.setattr(patch_cmd, "CHUNK", chunk)
        outputs[chunk] = {fmt: run_cli(*args, "--format", fmt).stdout
                          for fmt in ("text", "jsonl", "json")}
    whole, chunked = (json.loads(outputs[c]["json"]) for c in (1 << 20, 97))
    np.testing.assert_allclose(chunked["entropies"], whole["entropies"], atol=2e-3)
    assert chunked["patch_lengths"] == patch_lengths(chunked["entropies"], threshold=2.0)
    lines = [json.loads(line) for line in outputs[97]["jsonl"].splitlines()]
    assert [r["length"] for r in lines[:-1]] == chunked["patch_lengths"]
    assert "".join(r["text"] for r in lines[:-1]).encode() == TEXT
    assert outputs[97]["text"].count("|") == len(chunked["patch_lengths"]) - 1


def test_calibration_uses_a_bounded_prefix_of_long_inputs(run_cli, checkpoint, tmp_path,
                                                          monkeypatch):
    path = tmp_path / "input.txt"
    path.write_bytes(TEXT)
    monkeypatch.setattr(patch_cmd, "CHUNK", 200)
    monkeypatch.setattr(patch_cmd, "CALIBRATION_BYTES", 500)
    result = run_cli("patch", str(checkpoint), str(path), "--format", "json",
                     "--target-patch-size", "5", "--set", "eval.stride=1",
                     "--set", "backend.cpu.threads=1")
    assert "calibrating the threshold on the first 600 bytes" in result.stderr
    out = json.loads(result.stdout)
    prefix = np.asarray(out["entropies"][:600])
    assert out["patching"]["threshold"] == pytest.approx(
        calibrate_threshold(prefix, 5.0), abs=1e-3)


def peak_python_memory(monkeypatch, args: list[str]) -> int:
    """Peak bytes Python and numpy allocate while the CLI runs ``args`` (stdout
    discarded, so captured output does not count)."""
    with open("/dev/null", "w") as null:
        monkeypatch.setattr(sys, "stdout", null)
        tracemalloc.start()
        try:
            cli.main(args, standalone_mode=False)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            monkeypatch.undo()
    return peak


@pytest.mark.parametrize("command", [
    ["patch", "{ckpt}", "{input}", "--format", "jsonl"],
    ["patch", "{ckpt}", "{input}", "--format", "json"],
    # without the compressor baselines, whose state (xz: ~90 MB) would hide the rest
    ["eval", "{ckpt}", "--data", "{input}", "--report", "text",
     "--set", "evaluators.bits-per-byte.compressors=false"],
])
def test_memory_does_not_grow_with_the_input(checkpoint, tmp_path, monkeypatch, command):
    peaks = {}
    for size in (4_000, 128_000):
        path = tmp_path / f"input-{size}.txt"
        path.write_bytes((CORPUS * (size // len(CORPUS) + 1))[:size])
        args = [a.format(ckpt=checkpoint, input=path) for a in command]
        monkeypatch.setattr(patch_cmd, "CHUNK", 4096)
        monkeypatch.setattr(compression, "CHUNK", 4096)
        peaks[size] = peak_python_memory(monkeypatch, [*args, "--set", "backend.cpu.threads=1"])
    growth = (peaks[128_000] - peaks[4_000]) / 124_000
    assert growth < 0.5, f"{growth:.1f} bytes of memory per byte of input ({peaks})"

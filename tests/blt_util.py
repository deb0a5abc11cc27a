"""Helpers shared by the BLT plugin tests: a tiny config, a tiny corpus, a short
training loop (plain PyTorch, so these tests do not depend on the trainer)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neat_core.config import NeatConfig, config_from_dict

CORPUS = (b"the quick brown fox jumps over the lazy dog. " * 40
          + b"def add(a, b):\n    return a + b\n\n" * 30)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models run faster on one thread, and many times faster than on two when other
    processes compete for the cores (import this fixture into a test module to use it)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tiny_config(**model: object) -> NeatConfig:
    settings = {"hidden_size": 32, "num_layers": 2, "num_heads": 2, "block_size": 32,
                "hash_ngrams": [], **model}
    return config_from_dict({"model": settings})


def tiny_model(seed: int = 0, **model: object) -> torch.nn.Module:
    from neat_plugins.blt.entropy_model.model import EntropyModel

    torch.manual_seed(seed)
    return EntropyModel(tiny_config(**model).model)


def train(model: torch.nn.Module, data: bytes = CORPUS, steps: int = 40, batch: int = 16,
          lr: float = 1e-2, seed: int = 0) -> list[float]:
    """Plain next-byte training; returns the loss of every step."""
    block = model.config.block_size
    array = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        starts = torch.randint(0, len(array) - block - 1, (batch,), generator=generator)
        window = torch.stack([array[s:s + block + 1] for s in starts.tolist()])
        _, loss = model(window[:, :-1], window[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


# --- the full BLT ---------------------------------------------------------------------

BLT_TINY = {"name": "blt", "local_size": 16, "local_heads": 2, "latent_size": 32,
            "latent_heads": 2, "block_size": 32, "hash_ngrams": [3, 4], "hash_buckets": 64}


def save_entropy_checkpoint(path, seed: int = 0, **model: object):
    """A tiny blt-entropy checkpoint at ``path`` whose entropies vary (a sharpened head)."""
    from neat_core import save_checkpoint

    entropy = tiny_model(seed, hidden_size=16, num_layers=1, block_size=16, **model)
    with torch.no_grad():
        entropy.head.weight.mul_(100.0)
    config = tiny_config(hidden_size=16, num_layers=1, block_size=16, **model)
    return save_checkpoint(path, entropy, config)


def blt_config(**model: object) -> NeatConfig:
    return config_from_dict({"model": {**BLT_TINY, **model}})


def tiny_blt(seed: int = 0, **model: object) -> torch.nn.Module:
    """A tiny BLT built by the registered factory (entropy weights copied as in training)."""
    import neat_core

    config = blt_config(**model).model
    torch.manual_seed(seed)
    return neat_core.get_registry().models["blt"].factory(config)


# every patching mode the BLT offers, with settings that give several patches in the
# tiny models' windows (the entropy modes need an entropy checkpoint, see mode_settings)
PATCHING_MODES = {
    "static": {"patching": "static", "patch_size": 4},
    "space": {"patching": "space"},
    "global": {"patching": "global", "threshold": 1.5},
    "relative": {"patching": "relative", "relative_threshold": 0.5},
    "combined": {"patching": "combined", "threshold": 1.0, "relative_threshold": 0.3},
    "max_patch_size": {"patching": "global", "threshold": 3.0, "max_patch_size": 3},
    "patches_per_window": {"patching": "global", "threshold": 1.0, "patches_per_window": 5},
}


# the modes of the reference layout (transformers' BLT): a global threshold or a patch
# per byte, max pooling (mode_settings adds it)
REFERENCE_MODES = {
    "global": PATCHING_MODES["global"],
    "max_patch_size": PATCHING_MODES["max_patch_size"],
    "static": {"patching": "static", "patch_size": 1},
}


def mode_settings(mode: str, entropy_checkpoint: str, **settings: object) -> dict:
    """The BLT settings of ``PATCHING_MODES[mode]`` (the entropy checkpoint where the mode
    needs one), with ``settings`` on top."""
    reference = settings.get("layout") == "reference"
    chosen = {**(REFERENCE_MODES if reference else PATCHING_MODES)[mode],
              **({"pooling": "max"} if reference else {}), **settings}
    if chosen["patching"] not in ("static", "space"):
        chosen["entropy_checkpoint"] = entropy_checkpoint
    return chosen

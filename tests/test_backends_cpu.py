"""The cpu backend for real: a tiny byte model trained through the selected backend."""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

from neat_core.backends import select_backend
from neat_core.config import BackendConfig

from .backends_sim import machine  # noqa: F401 - fixture


def tiny_byte_model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Embedding(256, 32), torch.nn.Linear(32, 64),
                               torch.nn.GELU(), torch.nn.Linear(64, 256))


def train_steps(mixed_precision: str, steps: int = 3) -> tuple[list[float], torch.dtype]:
    backend = select_backend(BackendConfig(name="auto", mixed_precision=mixed_precision))
    backend.seed(7)
    model = tiny_byte_model().to(backend.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    data = torch.randint(0, 256, (4, 33), generator=torch.Generator().manual_seed(0))
    inputs, targets = data[:, :-1].to(backend.device), data[:, 1:].to(backend.device)
    losses = []
    for _ in range(steps):
        with backend.autocast():
            logits = model(inputs)
        loss = F.cross_entropy(logits.float().reshape(-1, 256), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all()
                   for p in model.parameters())
        optimizer.step()
        backend.synchronize()
        losses.append(loss.item())
    return losses, logits.dtype


@pytest.mark.parametrize("mixed_precision, dtype", [("auto", torch.float32),
                                                    ("off", torch.float32),
                                                    ("bf16", torch.bfloat16)])
def test_forward_backward_through_the_cpu_backend(machine, mixed_precision, dtype):
    losses, logits_dtype = train_steps(mixed_precision)
    assert logits_dtype == dtype
    assert losses[-1] < losses[0]  # the steps really trained the model


def test_seeding_through_the_backend_reproduces_a_run(machine):
    assert train_steps("off") == train_steps("off")


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="resetting the peak needs Linux")
def test_cpu_peak_memory_sees_a_large_allocation_and_resets(machine):
    backend = select_backend(BackendConfig(name="cpu"))
    backend.reset_peak_memory()
    before = backend.peak_memory_bytes()
    block = torch.ones(64 * 2**20 // 4)  # 64 MiB, every page touched
    during = backend.peak_memory_bytes()
    del block
    backend.reset_peak_memory()
    after = backend.peak_memory_bytes()
    assert during - before >= 48 * 2**20
    assert after < during - 32 * 2**20

"""Sampling bytes from any registered model (what ``neat generate`` runs).

By default each new byte costs a forward pass over the last ``model.config.block_size``
bytes, which is correct for every model (a BLT re-patches the window as bytes arrive).
A model that defines the optional methods ``new_cache(batch_size) -> cache`` and
``forward_cached(idx [B, t], cache) -> logits [B, t, 256]`` (predict ``t`` new bytes
given what the cache holds, append them, keep at most the model's context) is fed one
byte at a time instead. Sampling draws from a CPU random generator seeded with
``seed``, so a seed gives the same bytes wherever the model gives the same logits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from .errors import UsageError
from .scoring import keeps_cache

if TYPE_CHECKING:
    import torch

VOCAB = 256


def check_request(prompt: bytes, max_bytes: int, temperature: float,
                  top_k: int | None) -> None:
    """UsageError for an empty prompt or sampling settings out of range."""
    if not prompt:
        raise UsageError("the prompt is empty", hint="give at least one byte to continue")
    if max_bytes < 1:
        raise UsageError(f"max_bytes must be at least 1, got {max_bytes}")
    if not temperature >= 0:
        raise UsageError(f"temperature must be 0 (greedy) or more, got {temperature}")
    if top_k is not None and not 1 <= top_k <= VOCAB:
        raise UsageError(f"top_k must be between 1 and {VOCAB}, got {top_k}",
                         hint="leave it unset to sample from all byte values")


def has_cache(model: Any) -> bool:
    """Whether the model offers the optional incremental methods (see
    :func:`neat_core.scoring.keeps_cache`)."""
    return keeps_cache(model)


class _Windowed:
    """Next-byte logits from a full forward pass over the last block_size bytes."""

    def __init__(self, model: Any, prompt: bytes, device: Any) -> None:
        self.model, self.device = model, device
        self.context = bytearray(prompt[-model.config.block_size:])

    def logits(self) -> torch.Tensor:
        import torch

        idx = torch.tensor([list(self.context)], dtype=torch.long, device=self.device)
        return self.model(idx)[0, -1]

    def push(self, byte: int) -> None:
        self.context.append(byte)
        del self.context[:-self.model.config.block_size]


class _Cached:
    """Next-byte logits from the model's own cache, one new byte per call."""

    def __init__(self, model: Any, prompt: bytes, device: Any) -> None:
        self.model, self.device = model, device
        self.cache = model.new_cache(1)
        self.pending = list(prompt[-model.config.block_size:])

    def logits(self) -> torch.Tensor:
        import torch

        idx = torch.tensor([self.pending], dtype=torch.long, device=self.device)
        return self.model.forward_cached(idx, self.cache)[0, -1]

    def push(self, byte: int) -> None:
        self.pending = [byte]


def sample_stream(model: Any, prompt: bytes, *, max_bytes: int = 256,
                  temperature: float = 1.0, top_k: int | None = None,
                  seed: int = 0) -> Iterator[int]:
    """Yield ``max_bytes`` sampled byte values continuing ``prompt``.

    ``temperature`` 0 is greedy (the most likely byte); ``top_k`` keeps only the k most
    likely byte values before sampling.
    """
    import torch

    check_request(prompt, max_bytes, temperature, top_k)
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            stepper = (_Cached if has_cache(model) else _Windowed)(model, prompt, device)
            for _ in range(max_bytes):
                byte = _sample(stepper.logits().float().cpu(), temperature, top_k, generator)
                yield byte
                stepper.push(byte)
    finally:
        model.train(was_training)


def _sample(logits: torch.Tensor, temperature: float, top_k: int | None,
            generator: torch.Generator) -> int:
    import torch

    if temperature == 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))

"""Sampling bytes from any registered model (what ``neat generate`` runs), one prompt or
a batch of them.

A model that defines the optional methods ``new_cache(batch_size) -> cache`` and
``forward_cached(idx [B, t], cache) -> logits [B, t, 256]`` (predict ``t`` new bytes of
each row given what the cache holds, append them) is fed its prompt, then one byte at
a time: every row of a batch is a stream of its own, so its bytes never depend on the
other rows. The context rule is the cache's, the rule of scoring
(:mod:`neat_core.scoring`): the prompt is read from ``cache.reach`` bytes before its end
(default ``block_size - 1``), starting at a multiple of ``cache.align`` (default 1), which
gives what reading the whole prompt would. Prompts of different lengths advance side by
side: all rows read the bytes that all prompts have in one call, then one byte per call,
a row still reading its prompt while the others sample.

Any other model costs a forward pass over the last ``model.config.block_size`` bytes of
each row per new byte (rows padded at their end, which a causal model never reads).

Row ``r`` samples from a CPU random generator seeded with ``seed + r``, so a seed gives
the same bytes wherever the model gives the same logits, and the first row of a batch
the bytes of that prompt alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

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
    """Next-byte logits of each row from a full forward pass over its last block_size
    bytes."""

    def __init__(self, model: Any, prompts: Sequence[bytes], device: Any) -> None:
        self.model, self.device = model, device
        self.block = model.config.block_size
        self.contexts = [bytearray(prompt[-self.block:]) for prompt in prompts]

    def logits(self) -> torch.Tensor:
        import torch

        width = max(len(context) for context in self.contexts)
        idx = torch.zeros(len(self.contexts), width, dtype=torch.long)
        for row, context in enumerate(self.contexts):
            idx[row, :len(context)] = torch.tensor(list(context))
        out = self.model(idx.to(self.device))
        last = torch.tensor([len(context) - 1 for context in self.contexts])
        return out[torch.arange(len(self.contexts)), last.to(out.device)]

    def push(self, sampled: list[int | None]) -> None:
        for context, byte in zip(self.contexts, sampled):
            if byte is not None:
                context.append(byte)
                del context[:-self.block]


class _Cached:
    """Next-byte logits of each row from the model's cache: the prompts' common length
    in one call, then one byte per row and call."""

    def __init__(self, model: Any, prompts: Sequence[bytes], device: Any) -> None:
        import torch

        self.model, self.device = model, device
        self.cache = model.new_cache(len(prompts))
        reach = int(getattr(self.cache, "reach", model.config.block_size - 1))
        align = int(getattr(self.cache, "align", 1))
        # each row's stream: enough of its prompt for the first prediction to be the one
        # of the whole prompt
        self.streams = [prompt[max(0, len(prompt) - reach - 1) // align * align:]
                        for prompt in prompts]
        common = min(len(stream) for stream in self.streams)
        idx = torch.tensor([list(stream[:common]) for stream in self.streams])
        self.last = self.model.forward_cached(idx.to(device), self.cache)[:, -1]
        self.read = [common] * len(prompts)  # stream bytes each row has read

    @property
    def ready(self) -> list[bool]:
        """Which rows have read their whole prompt (their logits predict a new byte)."""
        return [read >= len(stream) for read, stream in zip(self.read, self.streams)]

    def logits(self) -> torch.Tensor:
        return self.last

    def push(self, sampled: list[int | None]) -> None:
        import torch

        inputs = []
        for row, byte in enumerate(sampled):
            if byte is None:  # still reading its prompt
                byte = self.streams[row][self.read[row]]
                self.read[row] += 1
            inputs.append(byte)
        idx = torch.tensor([inputs], dtype=torch.long).T
        self.last = self.model.forward_cached(idx.to(self.device), self.cache)[:, -1]


def sample_batch(model: Any, prompts: Sequence[bytes], *, max_bytes: int = 256,
                 temperature: float = 1.0, top_k: int | None = None,
                 seed: int = 0) -> list[bytes]:
    """``max_bytes`` sampled bytes continuing each prompt, one result per prompt."""
    out: list[bytearray] = [bytearray() for _ in prompts]
    for row, byte in _generate(model, prompts, max_bytes, temperature, top_k, seed):
        out[row].append(byte)
    return [bytes(row) for row in out]


def sample_stream(model: Any, prompt: bytes, *, max_bytes: int = 256,
                  temperature: float = 1.0, top_k: int | None = None,
                  seed: int = 0) -> Iterator[int]:
    """Yield ``max_bytes`` sampled byte values continuing ``prompt``.

    ``temperature`` 0 is greedy (the most likely byte); ``top_k`` keeps only the k most
    likely byte values before sampling.
    """
    for _, byte in _generate(model, [prompt], max_bytes, temperature, top_k, seed):
        yield byte


def _generate(model: Any, prompts: Sequence[bytes], max_bytes: int, temperature: float,
              top_k: int | None, seed: int) -> Iterator[tuple[int, int]]:
    """``(row, byte)`` as each row samples them, ``max_bytes`` per row."""
    import torch

    if not prompts:
        raise UsageError("no prompt to continue", hint="give at least one prompt")
    for prompt in prompts:
        check_request(prompt, max_bytes, temperature, top_k)
    device = next(model.parameters()).device
    generators = [torch.Generator().manual_seed(seed + row) for row in range(len(prompts))]
    counts = [0] * len(prompts)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            stepper: Any = (_Cached if has_cache(model) else _Windowed)(model, prompts, device)
            while min(counts) < max_bytes:
                logits = stepper.logits().float().cpu()
                ready = getattr(stepper, "ready", [True] * len(prompts))
                sampled: list[int | None] = []
                for row, row_ready in enumerate(ready):
                    if not row_ready:
                        sampled.append(None)
                        continue
                    byte = _sample(logits[row], temperature, top_k, generators[row])
                    sampled.append(byte)
                    if counts[row] < max_bytes:
                        counts[row] += 1
                        yield row, byte
                if min(counts) < max_bytes:
                    stepper.push(sampled)
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

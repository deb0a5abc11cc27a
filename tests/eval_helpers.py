"""A model with known outputs for evaluation tests, and checkpoints of it.

``successor``: next-byte logits that put ``peak`` on byte ``(x + 1) % 256`` after an
ASCII letter ``x`` and ``other`` after anything else (0 elsewhere), whatever the
context. So every probability, loss and entropy can be computed by hand:

- after a letter: p(successor) = e^peak / (e^peak + 255), any other byte 1 / (e^peak + 255);
- after anything else the same with ``other``; with ``other = 0``: 1/256 each, entropy
  exactly 8 bits.
"""

from __future__ import annotations

import math
from pathlib import Path

from neat_core import hookimpl
from neat_core.config import ModelConfig, config_from_dict, setting
from neat_core.settings.schema import frozen

MODEL = "successor"


@frozen
class SuccessorConfig(ModelConfig):
    block_size: int = setting(16, min=2, help="Context length in bytes.")
    peak: float = setting(0.0, help="Logit of the successor byte after a letter.")
    other: float = setting(0.0, help="Logit of the successor byte after anything else.")


def build(config: SuccessorConfig):
    import torch

    class Successor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = config
            self.peak = torch.nn.Parameter(torch.tensor(float(config.peak)))
            self.other = torch.nn.Parameter(torch.tensor(float(config.other)))

        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            letter = ((idx >= 65) & (idx <= 90)) | ((idx >= 97) & (idx <= 122))
            peak = torch.where(letter, self.peak, self.other).unsqueeze(-1)
            logits = torch.zeros(*idx.shape, 256, device=idx.device)
            return logits.scatter(-1, ((idx + 1) % 256).unsqueeze(-1), peak)

    return Successor()


class SuccessorPlugin:
    @hookimpl
    def register_models(self, register):
        register(MODEL, build, config_class=SuccessorConfig,
                 description="test model with known outputs")


def is_letter(byte: int) -> bool:
    return chr(byte).isascii() and chr(byte).isalpha()


def probabilities(peak: float) -> tuple[float, float]:
    """(p of the successor, p of any other byte) after a letter."""
    total = math.exp(peak) + 255
    return math.exp(peak) / total, 1 / total


def entropy_after(peak: float) -> float:
    """Entropy in bits of a prediction with logit ``peak`` on one byte."""
    hit, miss = probabilities(peak)
    return -(hit * math.log2(hit) + 255 * miss * math.log2(miss))


def nll(data: bytes, peak: float, other: float = 0.0) -> list[float]:
    """Hand-computed negative log-likelihood (nats) of bytes 1..n-1."""
    out = []
    for previous, byte in zip(data, data[1:]):
        hit, miss = probabilities(peak if is_letter(previous) else other)
        out.append(-math.log(hit if byte == (previous + 1) % 256 else miss))
    return out


def save(path: Path, peak: float = 0.0, *, other: float = 0.0, block_size: int = 16,
         step: int = 7, **sections) -> Path:
    """A real checkpoint of the successor model (the plugin must be registered)."""
    from neat_core.checkpoint import save_checkpoint

    config = config_from_dict({"model": {"name": MODEL, "block_size": block_size,
                                         "peak": peak, "other": other},
                               "backend": {"name": "cpu"}, **sections})
    return save_checkpoint(path, build(config.model), config, step=step,
                           metrics={"eval_loss": 1.0})


def tiny_blt(path: Path, seed: int = 0, **sections) -> Path:
    """A real checkpoint of a tiny, untrained blt-entropy model."""
    import torch

    import neat_core
    from neat_core.checkpoint import save_checkpoint

    config = config_from_dict({"model": {"name": "blt-entropy", "hidden_size": 16,
                                         "num_layers": 1, "num_heads": 2, "block_size": 32},
                               "backend": {"name": "cpu"}, **sections})
    torch.manual_seed(seed)
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    return save_checkpoint(path, model, config, step=3)


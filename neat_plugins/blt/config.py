"""The ``model`` section of the blt-entropy model."""

from __future__ import annotations

from typing import Literal

from neat_core.config import ModelConfig, require, setting
from neat_core.config.schema import frozen


@frozen
class BltEntropyConfig(ModelConfig):
    hidden_size: int = setting(128, min=8, help="Width of the residual stream.")
    num_layers: int = setting(2, min=1, help="Transformer blocks.")
    num_heads: int = setting(4, min=1, help="Attention heads; must divide hidden_size.")
    ffn_size: int | None = setting(None, min=1, help="Feed-forward width; default: "
                                                     "4 x hidden_size.")
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True, help="Dropout rate.")
    block_size: int = setting(64, min=2, help="Context length in bytes.")
    positional: Literal["rope", "learned"] = setting(
        "rope", help="Positional scheme: rotary (rope) or learned absolute embeddings.")
    tie_weights: bool = setting(False, help="Share the byte embedding with the output "
                                            "layer's weights.")

    def __attrs_post_init__(self) -> None:
        require(self.hidden_size % self.num_heads == 0,
                f"model.hidden_size ({self.hidden_size}) must be divisible by "
                f"model.num_heads ({self.num_heads})",
                hint="choose num_heads that divides hidden_size, e.g. "
                     f"{_divisor_near(self.hidden_size, self.num_heads)}")
        if self.positional == "rope":
            head_size = self.hidden_size // self.num_heads
            require(head_size % 2 == 0,
                    f"model.positional 'rope' needs an even head size, got "
                    f"hidden_size / num_heads = {head_size}",
                    hint="change hidden_size or num_heads, or use positional 'learned'")


def _divisor_near(total: int, wanted: int) -> int:
    return min((d for d in range(1, total + 1) if total % d == 0), key=lambda d: abs(d - wanted))

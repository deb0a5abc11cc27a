"""The ``model`` section of the blt-entropy model, and the blocks it describes (no torch:
it loads with the plugin)."""

from __future__ import annotations

from typing import Literal

from neat_core.api import Former, ModelConfig, frozen, require, setting

from ..layers.settings import (
    check_hash_ngrams,
    hash_buckets_setting,
    hash_ngrams_setting,
    layout_setting,
    norm_eps_setting,
)
from ..layers.spec import LAYOUTS, BlockSpec, LayoutName

ENTROPY_MODEL = "blt-entropy"  # the registered name of the entropy model


@frozen
class BltEntropyConfig(ModelConfig):
    hidden_size: int = setting(128, min=8, help="Width of the residual stream.",
                               formerly=("hidden_size", "byte_lm_hidden_size"))
    num_layers: int = setting(2, min=1, help="Transformer blocks.",
                              formerly=("num_layers", "byte_lm_num_layers"))
    num_heads: int = setting(4, min=1, help="Attention heads; must divide hidden_size.",
                             formerly=("num_heads", "byte_lm_num_heads",
                                       "num_attention_heads"))
    ffn_size: int | None = setting(None, min=1, help="Feed-forward width; default: "
                                                     "4 x hidden_size (neat layout), "
                                                     "8/3 x hidden_size (reference).")
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True, help="Dropout rate.",
                             formerly=("dropout", "byte_lm_dropout"))
    block_size: int = setting(128, min=2, help="Context length in bytes.",
                              formerly=(Former("block_size",
                                               note="the model's context length in bytes"),))
    positional: Literal["rope", "learned"] = setting(
        "rope", help="Positional scheme: rotary (rope) or learned absolute embeddings.")
    tie_weights: bool = setting(False, help="Share the byte embedding with the output "
                                            "layer's weights.")
    hash_ngrams: list[int] = hash_ngrams_setting(default=(3, 4, 5))
    hash_buckets: int = hash_buckets_setting()
    layout: LayoutName = layout_setting("entropy model")
    rope_theta: float = setting(10000.0, min=1, help="Base of the rotary angles.")
    norm_eps: float = norm_eps_setting()
    attention_window: int | None = setting(
        None, min=1, help="Positions each position attends to (itself included); "
                          "default: the whole context.",
        notes="transformers' BLT patcher attends to a sliding window of 512 tokens "
              "(sliding_window); neat import sets it. With the reference layout the BOS "
              "token counts as a position.")

    def __attrs_post_init__(self) -> None:
        check_hash_ngrams(self)
        require(self.layout == "neat" or self.positional == "rope",
                "model.layout 'reference' has rotary positions, not learned ones",
                hint="set model.positional=rope, or use layout 'neat'")
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


_HINT_SEARCH = 64  # candidates tried on each side of the wanted value


def _divisor_near(total: int, wanted: int) -> int:
    """A divisor of ``total`` near ``wanted``, for a hint: the nearest within
    ``_HINT_SEARCH`` of it, else 1 or ``total``. Bounded work, however large the values
    (validation must cost the size of a config, not of the numbers in it)."""
    for distance in range(_HINT_SEARCH + 1):
        for divisor in (wanted - distance, wanted + distance):
            if 1 <= divisor <= total and total % divisor == 0:
                return divisor
    return min((1, total), key=lambda divisor: abs(divisor - wanted))


def block_spec(config: BltEntropyConfig) -> BlockSpec:
    """The blocks of a blt-entropy model: self-attention only, so one fused projection."""
    layout = LAYOUTS[config.layout]
    return BlockSpec(config.hidden_size, config.num_heads,
                     config.ffn_size or layout.ffn_size(config.hidden_size), config.dropout,
                     fused_qkv=True, norm=layout.norm, norm_eps=config.norm_eps,
                     feed_forward=layout.feed_forward)

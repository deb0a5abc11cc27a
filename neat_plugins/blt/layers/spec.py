"""What a transformer block is made of: its sizes and the variant of each part.

Each variant is a name looked up in a table of its part (:data:`.norms.NORMS`,
:data:`.feed_forward.FEED_FORWARDS`), so another layout (e.g. RMSNorm and a gated
feed-forward layer) is a new table entry and a new allowed name here, chosen by a
model setting; the blocks and the models that build them stay as they are.
"""

from __future__ import annotations

from typing import Literal

import attrs

VOCAB_SIZE = 256  # one token per byte value


@attrs.frozen
class BlockSpec:
    dim: int  # width of the residual stream
    heads: int  # attention heads; must divide dim
    ffn_size: int  # width of the feed-forward layer
    dropout: float = 0.0
    fused_qkv: bool = False  # one projection for queries, keys and values (``qkv``), else
    # ``query`` and ``key_value`` apart, which cross-attention needs
    norm: Literal["layer"] = "layer"
    feed_forward: Literal["gelu"] = "gelu"

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

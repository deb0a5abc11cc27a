"""What a transformer block is made of: its sizes and the variant of each part; and the
layouts, which choose those variants for a whole model.

Each variant is a name looked up in a table of its part (:data:`.norms.NORMS`,
:data:`.feed_forward.FEED_FORWARDS`, :data:`.rope.PAIRINGS`), so another layout is a
new table entry and a new allowed name here, chosen by a model setting; the blocks and
the models that build them stay as they are.
"""

from __future__ import annotations

from typing import Literal

import attrs

VOCAB_SIZE = 256  # one token per byte value: the output of every NEAT model

Norm = Literal["layer", "rms"]
FeedForwardKind = Literal["gelu", "swiglu"]
Pairing = Literal["halves", "interleaved"]
LayoutName = Literal["neat", "reference"]


@attrs.frozen
class BlockSpec:
    dim: int  # width of the residual stream
    heads: int  # attention heads; must divide dim
    ffn_size: int  # width of the feed-forward layer
    dropout: float = 0.0
    fused_qkv: bool = False  # one projection for queries, keys and values (``qkv``), else
    # ``query`` and ``key_value`` apart, which cross-attention needs
    norm: Norm = "layer"
    norm_eps: float = 1e-5
    feed_forward: FeedForwardKind = "gelu"
    # the BLT's cross-attentions (pooling, decoder): "double" adds the input to the
    # attention's output twice, once inside the layer and once outside (transformers)
    double_residual: bool = False

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads


@attrs.frozen
class Layout:
    """The variant of every part that a ``model.layout`` implies."""

    norm: Norm
    feed_forward: FeedForwardKind
    pairing: Pairing  # of the rotary positions
    rope_theta: float  # the BLT's default; the entropy model's is 10^4 in both layouts
    double_residual: bool  # of the BLT's cross-attentions
    vocabulary: Literal["bytes", "reference"]  # see :mod:`.tokens`
    latent_start: bool  # the BLT's latent transformer: a learned start vector and a
    # final norm (neat), or a BOS patch first and no final norm (reference)

    def ffn_size(self, dim: int) -> int:
        """The feed-forward width when none is set: 4 d, or 8 d / 3 for SwiGLU (whose
        three matrices then hold as many weights as GELU's two)."""
        return int(8 * dim / 3) if self.feed_forward == "swiglu" else 4 * dim


LAYOUTS: dict[str, Layout] = {
    # NEAT's own lean models
    "neat": Layout(norm="layer", feed_forward="gelu", pairing="halves", rope_theta=1e4,
                   double_residual=False, vocabulary="bytes", latent_start=True),
    # Meta's BLT as transformers' BltForCausalLM and its patcher compute it
    "reference": Layout(norm="rms", feed_forward="swiglu", pairing="interleaved",
                        rope_theta=5e5, double_residual=True, vocabulary="reference",
                        latent_start=False),
}

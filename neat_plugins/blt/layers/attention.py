"""Multi-head attention: self-attention of the blocks, cross-attention of the BLT's
pooling and decoder, with a key/value cache when scoring through one.

Plain ``scaled_dot_product_attention`` with boolean masks (True = may attend) or
``is_causal``, so it runs on every device. The projections are ``qkv`` (fused, for
self-attention only) or ``query`` and ``key_value`` (see :class:`~.spec.BlockSpec`); the
names are those of saved checkpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from .rope import Rope
from .spec import BlockSpec

if TYPE_CHECKING:
    from .kv_cache import KVCache

Attend = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def window_mask(time: int, window: int | None, device: torch.device) -> torch.Tensor | None:
    """``[time, time]`` bool: query ``i`` sees key ``j`` when ``0 <= i - j < window``;
    None when the window covers the whole input (plain causal attention then)."""
    if window is None or window >= time:
        return None
    distance = torch.arange(time, device=device)[:, None] - torch.arange(time, device=device)
    return (distance >= 0) & (distance < window)


def windowed(window: int, dropout: float = 0.0) -> Attend:
    """Causal attention in which query ``i`` sees keys ``i - window + 1 .. i``, for
    ``[..., heads, T, head_dim]`` inputs: computed in blocks of ``window`` queries, each
    over the ``2 * window`` keys that end with its block, so a query costs ``2 * window``
    pairs, not ``T`` (a dense masked call would compute all ``T``)."""

    def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        time = query.shape[-2]
        if time <= window:
            return F.scaled_dot_product_attention(query, key, value, is_causal=True,
                                                  dropout_p=dropout)
        blocks = -(-time // window)
        pad = blocks * window - time
        rows = query.shape[:-2]
        queries = F.pad(query, (0, 0, 0, pad)).unflatten(-2, (blocks, window))
        # keys of block b: positions (b - 1) * window .. (b + 1) * window - 1
        keys, values = (F.pad(x, (0, 0, window, pad)).unfold(-2, 2 * window, window)
                        .transpose(-1, -2) for x in (key, value))
        q_pos = torch.arange(window, device=query.device)[:, None]
        k_pos = torch.arange(2 * window, device=query.device)[None, :] - window
        mask = (q_pos - k_pos >= 0) & (q_pos - k_pos < window)  # [window, 2 * window]
        first = torch.ones(blocks, 1, 1, dtype=torch.bool, device=query.device)
        first[0] = False  # block 0 has no block before it: its first keys are padding
        mask = mask & (first | (k_pos >= 0))
        y = F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask,
                                           dropout_p=dropout)
        return y.reshape(*rows, blocks * window, -1)[..., :time, :]

    return attend


def causal(mask: torch.Tensor | None) -> dict[str, Any]:
    """Keyword arguments of a causal self-attention, limited by ``mask`` when given."""
    return {"mask": mask} if mask is not None else {"is_causal": True}


class Attention(nn.Module):
    """Attention of queries from ``x`` over keys and values from ``context`` (``x``
    itself when None)."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.heads = spec.heads
        self.dropout = spec.dropout
        self.fused = spec.fused_qkv
        if self.fused:
            self.qkv = nn.Linear(spec.dim, 3 * spec.dim, bias=False)
        else:
            self.query = nn.Linear(spec.dim, spec.dim, bias=False)
            self.key_value = nn.Linear(spec.dim, 2 * spec.dim, bias=False)
        self.proj = nn.Linear(spec.dim, spec.dim, bias=False)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., L, dim]`` -> ``[..., heads, L, head_dim]``."""
        return x.unflatten(-1, (self.heads, -1)).transpose(-3, -2)

    def queries(self, x: torch.Tensor) -> torch.Tensor:
        return self.split_heads(self.query(x))

    def keys_values(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key, value = self.key_value(context).chunk(2, dim=-1)
        return self.split_heads(key), self.split_heads(value)

    def attend(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *,
               mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
        """The projected output of heads of ``query`` over ``key`` and ``value``."""
        y = F.scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                           is_causal=is_causal,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(-3, -2).flatten(-2))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, *,
                mask: torch.Tensor | None = None, is_causal: bool = False,
                rope: Rope | None = None, cache: KVCache | None = None,
                layer: int = 0, attend: Attend | None = None) -> torch.Tensor:
        """With ``cache``, the keys and values of the bytes it holds join the new ones
        (as layer ``layer``), and its mask replaces ``mask`` and ``is_causal``. With
        ``attend``, that function of the rotated queries, keys and values
        (``[..., heads, L, head_dim]`` each) gives the heads' output instead: attention
        over rows packed into one sequence, or over a cache of another kind."""
        if self.fused and context is None:
            query, key, value = map(self.split_heads, self.qkv(x).chunk(3, dim=-1))
        else:
            query = self.queries(x)
            key, value = self.keys_values(x if context is None else context)
        if rope is not None:
            query, key = rope.rotate(query), rope.rotate(key)
        if attend is not None:
            return self.proj(attend(query, key, value).transpose(-3, -2).flatten(-2))
        if cache is not None:
            key, value, mask = cache.store(layer, key, value)
            is_causal = False
        return self.attend(query, key, value, mask=mask, is_causal=is_causal)

"""Causal attention over rows of different lengths packed into one sequence.

The BLT's rows hold different numbers of patches. Their positions are packed end to end
(``[N, ...]``, no padding), so projections and feed-forward layers cost what the real
positions cost; attention, which must not cross rows, runs on buckets of rows of
similar length, each padded only to its own longest row (``bucketed_causal``). Rows
are sorted by length and a bucket closes when the next row is shorter than
``ratio`` times its first, which bounds the padded share of a bucket's attention pairs
by ``1 - ratio**2`` (one bucket per row at ``ratio`` 1, one for all at 0).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from .attention import Attend

BUCKET_RATIO = 0.75  # measured: benchmarks/bench_blt_train.py


def buckets(lengths: Sequence[int], ratio: float) -> list[list[int]]:
    """Rows grouped by length (longest first): each group's lengths are at least
    ``ratio`` times its first."""
    order = sorted(range(len(lengths)), key=lambda row: -lengths[row])
    groups: list[list[int]] = []
    for row in order:
        if lengths[row] == 0:
            continue
        if groups and lengths[row] >= ratio * lengths[groups[-1][0]]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def bucketed_causal(lengths: Sequence[int], device: torch.device, dropout: float = 0.0,
                    ratio: float | None = None) -> Attend:
    """Causal attention within each row of packed ``[..., heads, N, head_dim]`` inputs
    whose rows hold ``lengths`` positions, in that order (``ratio``: default
    :data:`BUCKET_RATIO`)."""
    offsets = [0]
    for length in lengths:
        offsets.append(offsets[-1] + length)
    plans = []
    for group in buckets(lengths, BUCKET_RATIO if ratio is None else ratio):
        width = lengths[group[0]]
        steps = torch.arange(width)
        index = torch.tensor([offsets[row] for row in group])[:, None] + steps
        valid = steps < torch.tensor([lengths[row] for row in group])[:, None]
        index = torch.where(valid, index, 0)  # padding reads position 0, its output dropped
        plans.append((index.to(device), valid.to(device), index[valid].to(device)))

    def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        out = query.new_empty(query.shape)
        for index, valid, kept in plans:
            # [..., heads, rows, width, head_dim]: rows of one bucket, padded at their end
            q, k, v = (tensor[..., index, :].transpose(-4, -3) for tensor in (query, key, value))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
            out[..., kept, :] = y.transpose(-4, -3)[..., valid, :]
        return out

    return attend

"""The cpu backend's precisions as autocast contexts: fp32, bf16 autocast, and bf16
autocast with attention kept in float32.

torch's CPU autocast runs ``scaled_dot_product_attention`` in bf16. On CPUs whose bf16
matrix products are fast (AVX512-BF16 without AMX, for one) its bf16 attention kernels
can be slower than the float32 ones, enough to make a bf16 step slower than a float32
one. torch has no public way to change autocast's list of ops, so the third precision
runs that one function in float32 through a ``TorchFunctionMode`` (a hook on Python-level
torch calls; it costs microseconds per call, and nothing in the backward pass). The
tuner (:mod:`.cpu_tuning`) times all three and keeps the fastest.
"""

from __future__ import annotations

import contextlib
from typing import Any, ContextManager

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .cpu_tuning import BF16, BF16_FP32_ATTENTION, FP32


class Float32Attention(TorchFunctionMode):
    """Runs ``F.scaled_dot_product_attention`` in float32 inside an autocast region; the
    output returns in the dtype of the query."""

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func is not F.scaled_dot_product_attention:
            return func(*args, **kwargs)
        query, key, value, *rest = args
        with torch.autocast("cpu", enabled=False):
            out = func(query.float(), key.float(), value.float(), *rest, **kwargs)
        return out.to(query.dtype)


def autocast_for(precision: str) -> ContextManager[Any]:
    """The autocast context of one of the precisions of :mod:`.cpu_tuning`."""
    if precision == FP32:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(torch.autocast("cpu", dtype=torch.bfloat16))
    if precision == BF16_FP32_ATTENTION:
        stack.enter_context(Float32Attention())
    elif precision != BF16:
        raise ValueError(f"unknown cpu precision {precision!r}")
    return stack

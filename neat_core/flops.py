"""FLOPs per byte of a model, read through its optional ``flops_per_byte()`` method.

The model contract (see ``register_models`` in :mod:`neat_core.hookspecs`): a model may
define ``flops_per_byte() -> dict[str, float]`` with at least ``forward`` (forward-pass
FLOPs per byte) and ``training`` (forward and backward, per byte trained on); any other
entries (e.g. a frozen helper model's cost, listed apart) are shown and stored as they
are. ``neat train`` prints them at start, checkpoints store them in ``meta.json``,
evaluation results and ``neat bench`` include them.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import PluginError

REQUIRED = ("forward", "training")
_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def model_flops(model: Any) -> dict[str, float] | None:
    """The model's ``flops_per_byte()``, checked; None when it does not define one."""
    method = getattr(model, "flops_per_byte", None)
    if method is None:
        return None
    flops = method()
    if (not isinstance(flops, dict) or not set(REQUIRED) <= flops.keys()
            or not all(isinstance(v, (int, float)) and math.isfinite(v)
                       for v in flops.values())):
        raise PluginError(f"{type(model).__name__}.flops_per_byte() returned {flops!r}",
                          hint="return a dict of finite numbers with at least "
                               f"{' and '.join(REQUIRED)}")
    return {key: float(value) for key, value in flops.items()}


def si(value: float) -> str:
    """``1.42 M``-style rendering of a count."""
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g}"


def describe_flops(flops: dict[str, float]) -> str:
    """One line for logs: ``FLOPs per byte: forward 1.42 M, training 4.26 M, ...``."""
    parts = [f"{key.replace('_', ' ')} {si(value)}" for key, value in flops.items()]
    return "FLOPs per byte: " + ", ".join(parts)

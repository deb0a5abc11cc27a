"""How the reports write numbers: counts with thousands separators, measures to a few
decimals, large counts (FLOPs) with an SI prefix, nothing as ``-``."""

from __future__ import annotations

from typing import Any

SCALES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def scaled(value: float | None) -> str:
    """``2.07 M``-style: three significant digits and an SI prefix."""
    if value is None:
        return "-"
    for scale, prefix in SCALES:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g}"

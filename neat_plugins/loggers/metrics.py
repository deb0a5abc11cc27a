"""What the metric loggers send, and the check that a logger's package is installed.

Train records give ``train/loss`` (nats per byte), ``train/bpb``, ``train/perplexity``,
``train/lr``, ``train/grad_norm`` and ``train/bytes_per_second``; eval records
``eval/loss``, ``eval/bpb`` and ``eval/perplexity``; the step is the optimizer step.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from neat_core.api import UsageError

KEYS = {"train": ("loss", "bpb", "perplexity", "lr", "grad_norm", "bytes_per_second"),
        "eval": ("eval_loss", "eval_bpb", "eval_perplexity")}


def scalars(record: dict[str, Any]) -> dict[str, float]:
    """The numbers of a train or eval record of metrics.jsonl, by their logged name."""
    kind = record["kind"]
    return {f"{kind}/{key.removeprefix('eval_')}": record[key] for key in KEYS[kind]
            if isinstance(record.get(key), (int, float))}


def require(callback: str, extra: str, *modules: str) -> None:
    """A UsageError naming the extra to install when one of ``modules`` is missing
    (looked up, not imported: the check stays cheap and comes before any work)."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"callbacks.{callback} is enabled but the {missing[0]} package is "
                         f"not installed",
                         hint=f"pip install 'neat-entropy[{extra}]', or set "
                              f"callbacks.{callback}.enabled = false")

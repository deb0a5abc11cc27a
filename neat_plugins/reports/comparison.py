"""What the text and html reports show of a comparison: one column per run, named after
it, with what each run is (model, patching, size, training, cost) and how good it is on
the same bytes; the compressors once, since they depend only on the bytes.

FLOPs per byte: ``forward`` is the model's own forward pass; ``inference`` adds what
else scoring a byte costs, such as a BLT's frozen entropy model (``entropy_model``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import attrs

from .figures import number, scaled

SCORES = (("bits/byte", "bits_per_byte"), ("loss (nats/byte)", "loss"),
          ("perplexity", "perplexity"))


@attrs.frozen
class Point:
    """A run placed by its cost and its score (for the bits-per-byte/FLOPs chart)."""

    name: str
    flops: float
    bits_per_byte: float


def names(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each run's name (results of older versions have none: their checkpoint path)."""
    return [run.get("name") or run["checkpoint"]["path"] for run in runs]


def inference_flops(flops: Mapping[str, float] | None) -> float | None:
    """Forward FLOPs per byte plus the frozen entropy model's, if the model has one."""
    if flops is None:
        return None
    return flops["forward"] + flops.get("entropy_model", 0.0)


def patching(model: Mapping[str, Any]) -> str:
    """How a model cuts bytes into patches, from its settings (``-``: byte-level)."""
    mode = model.get("patching")
    if mode is None:
        return "-"
    if mode == "static":
        return f"static, {model.get('patch_size')} bytes"
    parts = [str(mode)]
    if mode in ("global", "combined") and "threshold" in model:
        parts.append(f"θ {model['threshold']:.2f}")
    if mode in ("relative", "combined") and "relative_threshold" in model:
        parts.append(f"rise {model['relative_threshold']:.2f}")
    return " ".join(parts)


def patch_size(flops: Mapping[str, float] | None) -> str:
    """The mean patch size the model's FLOPs assume (measured in training, exact for
    static patches); ``-`` for a byte-level model."""
    if flops and "mean_patch_size" in flops:
        return f"{flops['mean_patch_size']:.2f}"
    if flops and "assumed_patch_size" in flops:
        return f"{flops['assumed_patch_size']:g} (assumed)"
    return "-"


def describe_rows(runs: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Rows of what each run is: label first, one cell per run."""
    checkpoints = [run["checkpoint"] for run in runs]
    flops = [run.get("flops_per_byte") for run in runs]
    return [
        ["model", *(c["model"] for c in checkpoints)],
        ["step", *(number(c.get("step")) for c in checkpoints)],
        ["patching", *(patching(run["config"]["model"]) for run in runs)],
        ["mean patch size (bytes)", *(patch_size(f) for f in flops)],
        ["parameters", *(number(c.get("parameters")) for c in checkpoints)],
        ["training bytes seen", *(number((c.get("metrics") or {}).get("bytes_seen"))
                                  for c in checkpoints)],
        ["FLOPs/byte, forward", *(scaled(f["forward"] if f else None) for f in flops)],
        ["FLOPs/byte, inference", *(scaled(inference_flops(f)) for f in flops)],
    ]


def bits_per_byte(runs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]] | None:
    """Each run's bits-per-byte results, or None unless every run has them."""
    sections = [run["results"].get("bits-per-byte") for run in runs]
    return sections if all(sections) else None


def score_rows(sections: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [[label, *(number(s["overall"][key]) for s in sections)] for label, key in SCORES]


def compressors(sections: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The compressors' bits per byte of the bytes every run was scored on."""
    return next((dict(s["compressors"]) for s in sections if s["compressors"]), {})


def points(runs: Sequence[Mapping[str, Any]], sections: Sequence[Mapping[str, Any]]
           ) -> list[Point]:
    """The runs whose model counts its FLOPs, at (inference FLOPs, bits per byte)."""
    placed = []
    for name, run, section in zip(names(runs), runs, sections):
        flops, bpb = inference_flops(run.get("flops_per_byte")), \
            section["overall"]["bits_per_byte"]
        if flops is not None and bpb is not None:
            placed.append(Point(name, flops, bpb))
    return placed

"""The html report's plots, drawn with matplotlib's object API on the Agg canvas (no
pyplot, no global backend switch) and returned as ``data:image/png;base64`` URIs."""

from __future__ import annotations

import base64
import io
from typing import Any, Callable, Mapping, Sequence

from neat_core.api import MAX_BITS

MAX_PLOTTED_SIZE = 40  # longer patches are drawn in one "longer" bar
PLOTTED_BYTES = 400  # of the preview, so single patches stay visible


def png_uri(draw: Callable[[Any], None], size: tuple[float, float] = (9.0, 3.2)) -> str:
    """Draw on a fresh figure's axes with ``draw(ax)``; the PNG as a data URI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=100, layout="tight")
    FigureCanvasAgg(figure)
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_name(name: str) -> str:
    """The last two parts of a path, for plot titles."""
    return "/".join(name.split("/")[-2:])


def entropy_along_text(preview: Mapping[str, Any], patching: Mapping[str, Any]) -> str:
    def draw(ax: Any) -> None:
        # byte x is drawn with the entropy of its own prediction, entry x-1: in global
        # mode a patch starts exactly where the line crosses the threshold
        values = preview["entropies"][:PLOTTED_BYTES - 1]
        starts = [b for b in preview["boundaries"] if b < len(values) + 1]
        ax.vlines(starts, 0, MAX_BITS, color="#1f6feb", alpha=0.22, linewidth=0.8)
        ax.plot(starts, [0.15] * len(starts), "^", color="#1f6feb", markersize=4,
                label="patch start")
        ax.step(range(1, len(values) + 1), values, where="mid", color="#c62828",
                linewidth=1, label="entropy of the byte's prediction")
        if patching["mode"] in ("global", "combined"):
            ax.axhline(patching["threshold"], color="black", linestyle="--", linewidth=1,
                       label=f"threshold {patching['threshold']:.2f} bits")
        ax.set(xlim=(-0.5, len(values) + 0.5), ylim=(0, MAX_BITS),
               xlabel="byte offset", ylabel="bits",
               title=f"Entropy along the first {len(values) + 1} bytes of "
                     f"{short_name(preview['document'])}")
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)

    return png_uri(draw, (11.0, 3.4))


def entropy_histogram(histogram: Mapping[str, Sequence[float]]) -> str:
    def draw(ax: Any) -> None:
        edges, counts = histogram["edges"], histogram["counts"]
        ax.bar(edges[:-1], counts, width=edges[1] - edges[0], align="edge",
               color="#ef6c00", edgecolor="white")
        ax.set(xlim=(0, MAX_BITS), xlabel="entropy (bits)", ylabel="predictions",
               title="Entropy histogram")

    return png_uri(draw, (5.5, 3.2))


def patch_size_histogram(histogram: Mapping[str, Sequence[int]]) -> str:
    def draw(ax: Any) -> None:
        sizes, counts = histogram["sizes"], histogram["counts"]
        shown = [(s, c) for s, c in zip(sizes, counts) if s <= MAX_PLOTTED_SIZE]
        longer = sum(c for s, c in zip(sizes, counts) if s > MAX_PLOTTED_SIZE)
        ax.bar([s for s, _ in shown], [c for _, c in shown], color="#1f6feb")
        if longer:
            ax.bar([MAX_PLOTTED_SIZE + 2], [longer], color="#6b7280",
                   label=f"> {MAX_PLOTTED_SIZE} bytes")
            ax.legend(fontsize=8)
        ax.set(xlabel="patch size (bytes)", ylabel="patches (log scale)", yscale="log",
               title="Patch sizes")

    return png_uri(draw, (5.5, 3.2))


def threshold_sweep(sweep: Mapping[str, Any], current: float | None) -> str:
    def draw(ax: Any) -> None:
        thresholds = [p["threshold"] for p in sweep["points"]]
        ax.plot(thresholds, [p["mean_patch_size"] for p in sweep["points"]], marker="o",
                markersize=3, color="#1f6feb", label="mean patch size")
        ax.set(xlabel=f"{sweep['mode']} threshold θ (bits)", ylabel="mean patch size (bytes)",
               yscale="log", title="Threshold sweep")
        calibration = sweep["calibration"]
        ax.scatter([c["threshold"] for c in calibration],
                   [c["mean_patch_size"] for c in calibration], color="#2e7d32", zorder=3,
                   label="calibrated for a target size")
        if current is not None:
            ax.axvline(current, color="black", linestyle="--", linewidth=1,
                       label=f"configured θ = {current:.2f}")
        right = ax.twinx()
        right.plot(thresholds, [p["patches_per_kb"] for p in sweep["points"]],
                   color="#c62828", linewidth=1, label="patches per KiB")
        right.set(ylabel="patches per KiB", yscale="log")
        handles = ax.get_legend_handles_labels()
        extra = right.get_legend_handles_labels()
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=8, loc="center left",
                  framealpha=0.9)

    return png_uri(draw, (7.5, 3.6))


def bits_per_byte_bars(labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
                       ) -> str:
    """Grouped horizontal bars: one group per label (model, gzip, ...), one bar per
    series (one series per checkpoint)."""
    def draw(ax: Any) -> None:
        height = 0.8 / max(1, len(series))
        single = len(series) == 1  # the model in colour, the compressors in grey
        for index, (name, values) in enumerate(series.items()):
            positions = [i + index * height for i in range(len(labels))]
            colors = (["#c62828"] + ["#8c959f"] * (len(labels) - 1)) if single else None
            ax.barh(positions, [v or 0.0 for v in values], height=height, label=name,
                    color=colors)
            for y, value in zip(positions, values):
                if value is not None:
                    ax.text(value, y, f" {value:.3f}", va="center", fontsize=8)
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(labels))], labels)
        ax.invert_yaxis()
        largest = max((v for values in series.values() for v in values if v is not None),
                      default=1.0)
        ax.set_xlim(0, largest * 1.15)  # room for the value labels
        ax.set(xlabel="bits per byte (lower is better)", title="Bits per byte")
        if len(series) > 1:
            ax.legend(fontsize=8)

    return png_uri(draw, (7.5, 1.2 + 0.5 * len(labels) * max(1, len(series)) ** 0.5))

"""The html report's plots, drawn with matplotlib's object API on the Agg canvas (no
pyplot, no global backend switch) and returned as ``data:image/png;base64`` URIs."""

from __future__ import annotations

import base64
import io
from typing import Any, Callable, Mapping, Sequence

from neat_core.api import MAX_BITS

from .shading import pieces

MAX_PLOTTED_SIZE = 40  # longer patches are drawn in one "longer" bar
PLOTTED_BYTES = 128  # of the preview, each with its character under it
ROW_BYTES = 64
SYMBOLS = {0x20: "␣", 0x0A: "↵", 0x09: "⇥"}  # axis labels of whitespace bytes


def png_uri(draw: Callable[[Any], None], size: tuple[float, float] = (9.0, 3.2),
            rows: int = 1) -> str:
    """Draw on a fresh figure with ``draw(ax)`` (``rows`` > 1: ``draw(axes)``, one per
    row); the PNG as a data URI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=100, layout="tight")
    FigureCanvasAgg(figure)
    draw(figure.subplots(rows) if rows > 1 else figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_name(name: str) -> str:
    """The last two parts of a path, for plot titles."""
    return "/".join(name.split("/")[-2:])


def axis_labels(data: bytes) -> list[str]:
    """One tick label per byte: its ASCII character,
    ``␣`` for a space, ``↵`` for a newline, ``⇥`` for a tab, ``·`` for anything else
    (a multi-byte character at its first byte, nothing under the others)."""
    labels = [""] * len(data)
    for piece in pieces(data, [0.0] * len(data), ()):
        text = piece.text
        plain = text.isascii() and text.isprintable() and not text.isspace() and text
        labels[piece.offset] = text if plain else SYMBOLS.get(data[piece.offset], "·")
    return labels


def entropy_along_text(preview: Mapping[str, Any], patching: Mapping[str, Any]) -> str:
    """The first PLOTTED_BYTES bytes in rows of ROW_BYTES, each byte a bar of the entropy
    of its own prediction (entry x-1, so in global mode a patch starts exactly at a bar
    above the threshold) over its character; patches as alternating bands."""
    data = bytes(preview["bytes"][:PLOTTED_BYTES])
    entropies = preview["entropies"]
    heights = [entropies[x - 1] if 0 < x <= len(entropies) else 0.0 for x in range(len(data))]
    starts = [b for b in preview["boundaries"] if b < len(data)] + [len(data)]
    labels = axis_labels(data)
    rows = max(1, -(-len(data) // ROW_BYTES))

    def draw(axes: Any) -> None:
        for row, ax in enumerate(axes if rows > 1 else [axes]):
            first, last = row * ROW_BYTES, min(len(data), (row + 1) * ROW_BYTES)
            for index, (start, end) in enumerate(zip(starts, starts[1:])):
                if index % 2 and start < last and end > first:
                    ax.axvspan(start - 0.5, end - 0.5, color="#ddf4ff", zorder=0)
            above = ["#c62828" if patching["mode"] in ("global", "combined") and
                     heights[x] > patching["threshold"] else "#ef9a9a"
                     for x in range(first, last)]
            ax.bar(range(first, last), heights[first:last], width=0.7, color=above,
                   zorder=2)
            if patching["mode"] in ("global", "combined"):
                ax.axhline(patching["threshold"], color="black", linestyle="--",
                           linewidth=1, zorder=3)
            ax.set_xticks(range(first, last), labels[first:last], fontsize=8,
                          fontfamily="monospace")
            ax.tick_params(axis="x", length=0)
            ax.set(xlim=(first - 0.5, first + ROW_BYTES - 0.5), ylim=(0, MAX_BITS),
                   ylabel="bits", yticks=[0, 2, 4, 6, 8])
            ax.set_title(f"bytes {first}-{last - 1}", fontsize=8, loc="left")
        threshold = (f"; dashed: threshold {patching['threshold']:.2f} bits"
                     if patching["mode"] in ("global", "combined") else "")
        figure = (axes[0] if rows > 1 else axes).figure
        figure.suptitle(f"Entropy of each byte's prediction, first {len(data)} bytes of "
                        f"{short_name(preview['document'])} (bands: patches{threshold})",
                        fontsize=10)

    return png_uri(draw, (11.0, 1.2 + 1.9 * rows), rows)


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


def bits_per_byte_bars(labels: Sequence[str], values: Sequence[float | None]) -> str:
    """Horizontal bars, one per label: the model (first, in colour), then the
    compressors (grey)."""
    def draw(ax: Any) -> None:
        colors = ["#c62828"] + ["#8c959f"] * (len(labels) - 1)
        ax.barh(range(len(labels)), [v or 0.0 for v in values], height=0.8, color=colors)
        for y, value in enumerate(values):
            if value is not None:
                ax.text(value, y, f" {value:.3f}", va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        largest = max((v for v in values if v is not None), default=1.0)
        ax.set_xlim(0, largest * 1.15)  # room for the value labels
        ax.set(xlabel="bits per byte (lower is better)", title="Bits per byte")

    return png_uri(draw, (7.5, 1.2 + 0.5 * len(labels)))


def bits_per_byte_against_flops(points: Sequence[Any], compressors: Mapping[str, float]
                                ) -> str:
    """Each run at (inference FLOPs per byte, bits per byte), named; the compressors of
    the same bytes as dashed lines (they cost no model FLOPs)."""
    def draw(ax: Any) -> None:
        for point in points:
            ax.scatter([point.flops], [point.bits_per_byte], s=36, zorder=3)
            ax.annotate(point.name, (point.flops, point.bits_per_byte), fontsize=8,
                        xytext=(5, 5), textcoords="offset points")
        for (name, value), style in zip(compressors.items(), ("--", ":", "-.")):
            ax.axhline(value, color="#57606a", linestyle=style, linewidth=1,
                       label=f"{name} {value:.3f}")
        low, high = min(p.flops for p in points), max(p.flops for p in points)
        ax.set_xscale("log")
        ax.set_xlim(low / 2, high * 2)  # room for the names
        ax.set(xlabel="FLOPs per byte at inference (log scale)",
               ylabel="bits per byte (lower is better)",
               title="Bits per byte against compute")
        ax.grid(True, which="major", alpha=0.3)
        if compressors:
            ax.legend(fontsize=8, title="the same bytes compressed", title_fontsize=8)

    return png_uri(draw, (7.5, 4.0))

"""The text report: a terminal summary of eval, comparison and analysis results.

With colour (a terminal, FORCE_COLOR set, NO_COLOR unset) bytes of the preview get a
background from a dark-to-red ramp by entropy and ``▏`` marks where a patch starts;
without colour, ``|`` marks patch starts.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping, Sequence

import click

from . import nested
from .shading import Piece, level, pieces

# 256-colour backgrounds from low to high entropy (one per bit); None: unshaded
ENTROPY_BACKGROUNDS = (None, 17, 19, 55, 91, 127, 161, 196)
SPARK = "▁▂▃▄▅▆▇█"
MAX_ROWS = 25  # per-document rows shown; the json report has them all
TEXT_PREVIEW_BYTES = 800  # of the preview; the html report shows all of it


def use_color() -> bool:
    """NO_COLOR turns colour off, FORCE_COLOR on (see no-color.org, force-color.org);
    else the Click context's setting, else whether stdout is a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    context = click.get_current_context(silent=True)
    if context is not None and context.color is not None:
        return context.color
    return sys.stdout.isatty()


def without_color() -> str:
    """Why the preview is not shaded (when :func:`use_color` is false)."""
    if os.environ.get("NO_COLOR"):
        return "no entropy shading: NO_COLOR turned colour off"
    return "entropy shading needs a colour terminal (FORCE_COLOR=1 forces it)"


class TextReport:
    writes_files = False  # prints to stdout, so an unwritable --out does not matter

    def write(self, results: Mapping[str, Any], out_dir: Any = None) -> None:
        color = use_color()
        click.echo("\n".join(render(results, color)), color=color)
        return None


def render(results: Mapping[str, Any], color: bool) -> list[str]:
    if results["kind"] == "comparison":
        return comparison_lines(results)
    if results["view"] == "brief":
        return brief_lines(results, color)
    lines = header_lines(results)
    for name, section in results["results"].items():
        lines += [""] + SECTIONS.get(name, generic_section)(name, section, color)
    return lines


# --- formatting helpers -----------------------------------------------------------------

def context_text(context: Mapping[str, Any]) -> str:
    """How much context the scorer gave each byte, and how: cache or sliding window."""
    block, stride = context["block_size"], context["stride"]
    least = context.get("min_context", block - stride)
    how = (f"the model's key/value cache, window {block}" if context.get("cache") else
           f"sliding window {block}, stride {stride}")
    return f"with at least {least} bytes of context ({how})"


def number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> list[str]:
    cells = [list(headers)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return [indent + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in cells]


def sparkline(counts: Sequence[int]) -> str:
    top = max(counts) or 1
    return "".join(SPARK[min(len(SPARK) - 1, round(c / top * (len(SPARK) - 1)))]
                   for c in counts)


def short_names(names: Sequence[str]) -> tuple[str, list[str]]:
    """(the directory shared by every name, the names relative to it), for tables."""
    if len(names) < 2 or not all(name.startswith("/") for name in names):
        return "", list(names)
    common = os.path.commonpath(names)
    if common in names:  # a name that is a prefix of the others: keep it whole
        common = os.path.dirname(common)
    return common, [os.path.relpath(name, common) for name in names]


def origin_text(data: Mapping[str, Any]) -> str:
    sources = ", ".join(data["sources"])
    return {"text": "the text given", "files": sources,
            "eval-split": f"evaluation split of {sources}"}.get(data["origin"], sources)


def header_lines(results: Mapping[str, Any]) -> list[str]:
    checkpoint, data = results["checkpoint"], results["data"]
    step = f" · step {checkpoint['step']}" if checkpoint.get("step") is not None else ""
    return [f"NEAT {results['kind']} · {checkpoint['path']} · {checkpoint['model']}{step} · "
            f"{results['backend'].get('name', '?')}",
            f"data: {data['documents']:,} document(s), {data['bytes']:,} bytes "
            f"({origin_text(data)})"]


def truncated(rows: Sequence[Any]) -> tuple[Sequence[Any], list[str]]:
    if len(rows) <= MAX_ROWS:
        return rows, []
    return rows[:MAX_ROWS], [f"  … {len(rows) - MAX_ROWS} more (the json report lists "
                             f"them all: --report json)"]


# --- sections ---------------------------------------------------------------------------

def bits_per_byte_section(name: str, section: Mapping[str, Any], color: bool) -> list[str]:
    overall, context = section["overall"], section["context"]
    rows = [["model", number(overall["bits_per_byte"]), number(overall["loss"]),
             number(overall["perplexity"])]]
    for compressor, value in (section["compressors"] or {}).items():
        rows.append([compressor, number(value), "", ""])
    lines = ["Bits per byte"] + table(["", "bits/byte", "loss (nats/byte)", "perplexity"], rows)
    lines.append(f"  {overall['bytes']:,} bytes scored, each {context_text(context)}")
    documents = section["documents"]
    if len(documents) > 1:
        shown, more = truncated(documents)
        names = list(section["compressors"] or {})
        directory, labels = short_names([d["name"] for d in shown])
        doc_rows = [[label, number(d["bytes"]), number(d["bits_per_byte"]),
                     *(number((d["compressors"] or {}).get(c)) for c in names)]
                    for label, d in zip(labels, shown)]
        lines += ["", f"  per document (bits/byte){f' in {directory}' if directory else ''}"]
        lines += table(["name", "bytes", "model", *names], doc_rows, indent="  ") + more
    return lines


def entropy_section(name: str, section: Mapping[str, Any], color: bool) -> list[str]:
    stats = "  ".join(f"{key} {number(section[key], 2)}"
                      for key in ("mean", "std", "min", "p5", "p25", "p50", "p75", "p95", "max"))
    rows = [[cls, number(v["predictions"]), number(v["mean"], 2), number(v["p50"], 2)]
            for cls, v in section["by_class"].items()]
    return [f"Entropy of the next-byte predictions (bits), {section['predictions']:,} "
            f"predictions", "  " + stats,
            f"  histogram  0 {sparkline(section['histogram']['counts'])} 8 bits",
            *table(["by class", "predictions", "mean", "median"], rows)]


def patching_text(patching: Mapping[str, Any]) -> str:
    mode = patching["mode"]
    if mode == "static":
        text = f"static, {patching['patch_size']} bytes"
    elif mode == "space":
        text = "space"
    else:
        parts = []
        if mode in ("global", "combined"):
            parts.append(f"threshold {patching['threshold']:.2f} bits")
        if mode in ("relative", "combined"):
            parts.append(f"relative threshold {patching['relative_threshold']:.2f} bits")
        text = f"{mode}, {', '.join(parts)}"
    if patching.get("calibrated"):
        text += f" (calibrated for {patching['target_patch_size']:g}-byte patches)"
    if patching.get("source") == "model":
        text += ", the model's own patches"
    return text


def size_distribution(histogram: Mapping[str, Sequence[int]], total: int) -> str:
    counts = dict(zip(histogram["sizes"], histogram["counts"]))
    parts = [f"{size}: {100 * counts.get(size, 0) / total:.0f}%" for size in range(1, 9)]
    longer = sum(c for s, c in counts.items() if s > 8)
    return "  ".join(parts + [f">8: {100 * longer / total:.0f}%"])


def patch_summary(section: Mapping[str, Any]) -> str:
    return (f"{section['patches']:,} patches  mean {section['mean_patch_size']:.2f} bytes  "
            f"median {section['median_patch_size']:g}  min {section['min_patch_size']}  "
            f"max {section['max_patch_size']}  boundary ratio {section['boundary_ratio']:.3f}  "
            f"{section['patches_per_kb']:.1f} per KiB")


def patches_section(name: str, section: Mapping[str, Any], color: bool) -> list[str]:
    sweep = section["sweep"]
    rows = [[number(p["threshold"], 2), number(p["mean_patch_size"], 2),
             number(p["patches_per_kb"], 1)]
            for p in sweep["points"] if float(p["threshold"]).is_integer()]
    targets = ", ".join(f"{c['target_patch_size']:g} B → {c['threshold']:.2f}"
                        for c in sweep["calibration"])
    return [f"Patches ({patching_text(section['patching'])})",
            "  " + patch_summary(section),
            "  sizes  " + size_distribution(section["size_histogram"], section["patches"]),
            "", f"Threshold sweep ({sweep['mode']})",
            *table(["θ (bits)", "mean size", "patches/KiB"], rows),
            f"  θ for a target patch size: {targets}",
            "", *preview_lines(section["preview"], color)]


def generic_section(name: str, section: Any, color: bool) -> list[str]:
    """Results of an evaluator this report has no layout for, by their shape (see
    :mod:`.nested`): fields, tables and indented sub-sections."""
    return [name, *nested_lines(nested.blocks(section), "  ")]


def nested_lines(blocks: Sequence[nested.Block], indent: str) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, nested.Fields):
            lines += [f"{indent}{key}: {nested.plain_text(value)}" for key, value in block.items]
        elif isinstance(block, nested.Table):
            shown, more = truncated(block.rows)
            rows = [[nested.plain_text(cell) for cell in row] for row in shown]
            lines += [f"{indent}{block.title}", *table(block.headers, rows, indent + "  "),
                      *(indent + line for line in more)]
        elif isinstance(block, nested.Values):
            shown, more = truncated(block.values)
            text = ", ".join(nested.plain_text(value) for value in shown) or "(none)"
            lines.append(f"{indent}{block.title}: {text}"
                         f"{f' … ({len(block.values):,} in all)' if more else ''}")
        else:
            inner = nested_lines(block.blocks, indent + "  ")
            lines += [f"{indent}{block.title}", *inner] if inner else \
                [f"{indent}{block.title}: (none)"]
    return lines


SECTIONS: dict[str, Callable[[str, Any, bool], list[str]]] = {
    "bits-per-byte": bits_per_byte_section,
    "entropy": entropy_section,
    "patches": patches_section,
}


# --- the shaded preview -------------------------------------------------------------------

def preview_pieces(preview: Mapping[str, Any]) -> list[Piece]:
    """The first TEXT_PREVIEW_BYTES bytes of the preview as pieces."""
    size = TEXT_PREVIEW_BYTES
    return pieces(bytes(preview["bytes"][:size]), preview["entropies"][:size],
                  [b for b in preview["boundaries"] if b < size])


def preview_lines(preview: Mapping[str, Any], color: bool) -> list[str]:
    shown = min(len(preview["bytes"]), TEXT_PREVIEW_BYTES)
    marker = "▏" if color else "|"
    legend = (f"background = entropy (dark 0 → red 8 bits), {marker} = patch start"
              if color else f"{marker} = patch start; {without_color()}")
    more = shown < preview.get("document_bytes", len(preview["bytes"]))
    return [f"Start of {preview['document']} ({shown:,} bytes; {legend})",
            shade(preview_pieces(preview), color) + ("…" if more else "")]


def shade(parts: Sequence[Piece], color: bool) -> str:
    """The pieces as one string: patch starts marked, shaded by entropy when colour."""
    out = []
    for piece in parts:
        if piece.starts_patch:
            out.append(click.style("▏", fg=51, bold=True) if color else "|")
        if not color:
            out.append(piece.text)
            continue
        background = ENTROPY_BACKGROUNDS[level(piece.entropy, len(ENTROPY_BACKGROUNDS))]
        for i, chunk in enumerate(piece.text.split("\n")):
            if i:
                out.append("\n")
            if chunk:
                out.append(chunk if background is None else
                           click.style(chunk, bg=background, fg=15))
    return "".join(out)


def brief_lines(results: Mapping[str, Any], color: bool) -> list[str]:
    """Interactive analysis: the shaded input and one line per evaluator."""
    sections = results["results"]
    lines = []
    if "patches" in sections:
        patches = sections["patches"]
        lines += [shade(preview_pieces(patches["preview"]), color),
                  f"  {patches_summary_line(patches)}"]
    if "entropy" in sections:
        entropy = sections["entropy"]
        lines.append(f"  entropy mean {number(entropy['mean'], 2)}  median "
                     f"{number(entropy['p50'], 2)}  max {number(entropy['max'], 2)} bits")
    for name, section in sections.items():
        if name not in ("patches", "entropy"):  # the brief form: the plain fields only
            fields = [b for b in nested.blocks(section) if isinstance(b, nested.Fields)]
            lines += [name, *nested_lines(fields, "  ")]
    return lines


def patches_summary_line(section: Mapping[str, Any]) -> str:
    return f"{patching_text(section['patching'])}: {patch_summary(section)}"


# --- comparison ---------------------------------------------------------------------------

def comparison_lines(results: Mapping[str, Any]) -> list[str]:
    runs = results["runs"]
    data = results["data"]
    lines = [f"NEAT comparison · {len(runs)} checkpoints · {data['documents']:,} document(s), "
             f"{data['bytes']:,} bytes ({origin_text(data)})"]
    headers = ["", *(f"[{i + 1}]" for i in range(len(runs)))]
    lines += [f"  [{i + 1}] {run['checkpoint']['path']} ({run['checkpoint']['model']}, step "
              f"{run['checkpoint'].get('step')})" for i, run in enumerate(runs)]
    bpb = [run["results"].get("bits-per-byte") for run in runs]
    if all(bpb):
        rows = [[label, *(number(b["overall"][key]) for b in bpb)]
                for label, key in (("bits/byte", "bits_per_byte"), ("loss (nats/byte)", "loss"),
                                   ("perplexity", "perplexity"))]
        rows += [[name, *(number((b["compressors"] or {}).get(name)) for b in bpb)]
                 for name in (bpb[0]["compressors"] or {})]
        lines += [""] + table(headers, rows)
    side_by_side = {"bits-per-byte"} if all(bpb) else set()
    for index, run in enumerate(runs, 1):  # the other evaluators, run by run
        for name, section in run["results"].items():
            if name not in side_by_side:
                lines += ["", *generic_section(f"{name} [{index}]", section, False)]
    return lines

"""The study's reports: ``report.json`` (every run and the summary), ``report.md`` (the
table for docs/blt.md) and ``report.html`` (the table, held-out bits per byte against
training FLOPs and against inference FLOPs per byte with the Pareto frontier marked).

Differences are paired: an arm's held-out bits per byte minus the byte model's at the
same budget and seed (the same training bytes, the same held-out windows), as a mean
and standard deviation over the seeds both have. The goal of the study: a BLT arm that
reaches the byte model's held-out bits per byte (paired difference <= 0) at no more
than half its inference FLOPs per byte.
"""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from neat_core.api import atomic_write

GOAL_FLOPS_RATIO = 0.5


def summarise(results: Sequence[dict[str, Any]], arms: Sequence[str]) -> dict[str, Any]:
    """Rows per arm and budget, the Pareto frontier of each budget, and the goal."""
    by_key: dict[tuple[str, float], dict[int, dict[str, Any]]] = defaultdict(dict)
    for result in results:
        by_key[(result["arm"], result["budget_tflops"])][result["seed"]] = result
    budgets = sorted({budget for _, budget in by_key})
    rows = []
    for budget in budgets:
        byte = by_key.get(("byte", budget), {})
        for arm in arms:
            runs = by_key.get((arm, budget))
            if not runs:
                continue
            bpb = [r["heldout_bpb"] for r in runs.values()]
            paired = [r["heldout_bpb"] - byte[seed]["heldout_bpb"]
                      for seed, r in runs.items() if seed in byte and arm != "byte"]
            inference = statistics.mean(r["inference_flops_per_byte"] for r in runs.values())
            byte_inference = (statistics.mean(r["inference_flops_per_byte"]
                                              for r in byte.values()) if byte else None)
            sizes = [r["heldout_patch_size"] for r in runs.values() if r["heldout_patch_size"]]
            rows.append({
                "arm": arm, "budget_tflops": budget, "seeds": sorted(runs),
                "training_tflops": statistics.mean(r["training_tflops"] for r in runs.values()),
                "training_bytes": statistics.mean(r["training_bytes"] for r in runs.values()),
                "inference_flops_per_byte": inference,
                "inference_vs_byte": inference / byte_inference if byte_inference else None,
                "heldout_patch_size": statistics.mean(sizes) if sizes else None,
                "heldout_bpb": statistics.mean(bpb), "heldout_bpb_sd": _sd(bpb),
                "paired_vs_byte": statistics.mean(paired) if paired else None,
                "paired_vs_byte_sd": _sd(paired), "paired_seeds": len(paired),
                "parameters": statistics.mean(r["parameters"] for r in runs.values())})
    for budget in budgets:
        frontier = pareto([row for row in rows if row["budget_tflops"] == budget])
        for row in rows:
            if row["budget_tflops"] == budget:
                row["pareto"] = row["arm"] in frontier
    return {"budgets": budgets, "rows": rows, "goal": goal(rows, budgets)}


def _sd(values: Sequence[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def pareto(rows: Sequence[dict[str, Any]]) -> set[str]:
    """The arms no other arm beats on both inference FLOPs per byte and bits per byte."""
    return {row["arm"] for row in rows
            if not any(other["inference_flops_per_byte"] <= row["inference_flops_per_byte"]
                       and other["heldout_bpb"] <= row["heldout_bpb"] and other is not row
                       and (other["inference_flops_per_byte"], other["heldout_bpb"])
                       != (row["inference_flops_per_byte"], row["heldout_bpb"])
                       for other in rows)}


def goal(rows: Sequence[dict[str, Any]], budgets: Sequence[float]) -> dict[str, Any]:
    """Which BLT arms reach the byte model's bits per byte at no more than half its
    inference FLOPs, and, per budget, the smallest gap among the arms that cheap."""
    cheap = [row for row in rows if row["arm"] != "byte" and row["inference_vs_byte"]
             is not None and row["inference_vs_byte"] <= GOAL_FLOPS_RATIO
             and row["paired_vs_byte"] is not None]
    reached = [f"{row['arm']} at {row['budget_tflops']:g} TFLOP" for row in cheap
               if row["paired_vs_byte"] <= 0]
    gaps = {}
    for budget in budgets:
        candidates = [row for row in cheap if row["budget_tflops"] == budget]
        if candidates:
            best = min(candidates, key=lambda row: row["paired_vs_byte"])
            gaps[f"{budget:g}"] = {"arm": best["arm"], "paired_vs_byte": best["paired_vs_byte"],
                                   "inference_vs_byte": best["inference_vs_byte"]}
    return {"flops_ratio": GOAL_FLOPS_RATIO, "reached": reached, "smallest_gap": gaps}


def goal_text(summary: dict[str, Any]) -> str:
    result = summary["goal"]
    if result["reached"]:
        return (f"Goal reached: {', '.join(result['reached'])} (held-out bits per byte at "
                f"or below the byte model's, at most {result['flops_ratio']:g}x its "
                f"inference FLOPs per byte).")
    if not result["smallest_gap"]:
        return (f"No BLT arm runs at {result['flops_ratio']:g}x the byte model's inference "
                f"FLOPs per byte or less: the goal cannot be judged from these arms.")
    trend = "; ".join(f"{budget} TFLOP: {gap['arm']} +{gap['paired_vs_byte']:.3f} bpb at "
                      f"{gap['inference_vs_byte']:.2f}x"
                      for budget, gap in result["smallest_gap"].items())
    return (f"Goal not reached: no BLT arm at {result['flops_ratio']:g}x the byte model's "
            f"inference FLOPs per byte or less matches its held-out bits per byte. The "
            f"smallest gap by budget: {trend}.")


def markdown(summary: dict[str, Any]) -> str:
    lines = ["| arm | budget (TFLOP) | training TFLOP | training MB | inference FLOPs/byte | "
             "vs byte | mean patch (held-out) | trained parameters | held-out bpb | paired "
             "difference vs byte | Pareto |", "|" + "---|" * 11]
    for row in summary["rows"]:
        lines.append("| " + " | ".join([
            row["arm"], f"{row['budget_tflops']:g}", f"{row['training_tflops']:.3g}",
            f"{row['training_bytes'] / 1e6:.2f}", f"{row['inference_flops_per_byte'] / 1e6:.3f} M",
            _number(row["inference_vs_byte"], 2), _number(row["heldout_patch_size"], 2),
            f"{row['parameters'] / 1e6:.2f} M",
            _spread(row["heldout_bpb"], row["heldout_bpb_sd"], len(row["seeds"])),
            "—" if row["arm"] == "byte" else _spread(row["paired_vs_byte"],
                                                     row["paired_vs_byte_sd"],
                                                     row["paired_seeds"], signed=True),
            "yes" if row["pareto"] else ""]) + " |")
    return "\n".join(lines + ["", goal_text(summary)])


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _spread(mean: float | None, sd: float | None, count: int, signed: bool = False) -> str:
    if mean is None:
        return "—"
    text = f"{mean:+.3f}" if signed else f"{mean:.3f}"
    return text + (f" ± {sd:.3f}" if sd is not None else "") + f" (n={count})"


def write_reports(out: Path, settings: dict[str, Any], results: Sequence[dict[str, Any]],
                  arms: Sequence[str]) -> dict[str, Any]:
    summary = summarise(results, arms)
    report = {"settings": settings, "summary": summary, "runs": list(results)}
    atomic_write(out / "report.json", json.dumps(report, indent=2))
    table = markdown(summary)
    atomic_write(out / "report.md", table + "\n")
    atomic_write(out / "report.html", page(summary, table, settings))
    return report


# --- html ----------------------------------------------------------------------------

def page(summary: dict[str, Any], table: str, settings: dict[str, Any]) -> str:
    rows = summary["rows"]
    head, *body = [line for line in table.splitlines() if line.startswith("|")]
    cells = [[html.escape(cell.strip()) for cell in line.strip("|").split("|")]
             for line in [head, *body[1:]]]
    table_html = ("<table><tr>" + "".join(f"<th>{c}</th>" for c in cells[0]) + "</tr>"
                  + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                            for row in cells[1:]) + "</table>")
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>BLT study</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:right}img{max-width:100%}</style></head><body>"
        "<h1>BLT study: the byte model against BLTs at equal training FLOPs</h1>"
        f"<p>{html.escape(goal_text(summary))}</p>"
        + _img(lambda ax: _against_training(ax, rows))
        + _img(lambda ax: _against_inference(ax, rows, summary["budgets"]))
        + table_html
        + "<h2>Settings</h2><pre>" + html.escape(json.dumps(settings, indent=2)) + "</pre>"
        "</body></html>")


def _img(draw: Callable[[Any], None]) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=100, layout="tight")
    FigureCanvasAgg(figure)
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<p><img src=\"data:image/png;base64,{data}\"></p>"


def _against_training(ax: Any, rows: Sequence[dict[str, Any]]) -> None:
    for arm in dict.fromkeys(row["arm"] for row in rows):
        points = sorted((row["training_tflops"], row["heldout_bpb"]) for row in rows
                        if row["arm"] == arm)
        ax.plot(*zip(*points), marker="o", label=arm,
                linewidth=2.5 if arm == "byte" else 1.2, color="black" if arm == "byte"
                else None)
    ax.set_xscale("log")
    ax.set_xlabel("training FLOPs (TFLOP)")
    ax.set_ylabel("held-out bits per byte")
    ax.set_title("held-out bits per byte against training FLOPs")
    ax.legend(fontsize="small", ncol=2)


def _against_inference(ax: Any, rows: Sequence[dict[str, Any]],
                       budgets: Sequence[float]) -> None:
    markers = "os^Dvp*h"
    for index, budget in enumerate(budgets):
        points = [row for row in rows if row["budget_tflops"] == budget]
        for row in points:
            ax.scatter(row["inference_flops_per_byte"] / 1e6, row["heldout_bpb"],
                       marker=markers[index % len(markers)],
                       color="black" if row["arm"] == "byte" else f"C{index}")
            ax.annotate(row["arm"], (row["inference_flops_per_byte"] / 1e6,
                                     row["heldout_bpb"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        frontier = sorted((row["inference_flops_per_byte"] / 1e6, row["heldout_bpb"])
                          for row in points if row["pareto"])
        ax.plot(*zip(*frontier), linestyle="--", color=f"C{index}")
        ax.scatter(*zip(*frontier), s=160, facecolors="none", edgecolors=f"C{index}",
                   label=f"Pareto frontier, {budget:g} TFLOP")
        byte = [row for row in points if row["arm"] == "byte"]
        if byte:
            ax.axvline(GOAL_FLOPS_RATIO * byte[0]["inference_flops_per_byte"] / 1e6,
                       color=f"C{index}", linestyle=":", linewidth=0.8)
    ax.set_xlabel("inference FLOPs per byte (M); dotted: half the byte model's")
    ax.set_ylabel("held-out bits per byte")
    ax.set_title("held-out bits per byte against inference FLOPs per byte")
    ax.legend(fontsize="small")

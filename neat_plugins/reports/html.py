"""The html report: ``<kind>.html``, one self-contained page (inline CSS, plots as
embedded PNG) showing how good the model is and what patches it makes."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from neat_core.api import atomic_write

from . import nested, plots
from .json_report import report_path
from .shading import MAX_BITS, pieces
from .text import context_text, number, origin_text, patching_text, short_names

MAX_ROWS = 500

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1150px;
       color: #1f2328; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.2rem; }
.meta { color: #57606a; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #d0d7de; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.35rem; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; } img { max-width: 100%; }
pre.shaded { white-space: pre-wrap; word-break: break-all; font: 13px/1.6 ui-monospace,
       monospace; border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem; }
pre.shaded span.b { border-left: 2px solid #1f6feb; }
.legend span { padding: 0 .4rem; }
"""


class HtmlReport:
    def write(self, results: Mapping[str, Any], out_dir: Path) -> Path:
        path = report_path(results, out_dir, ".html")
        return atomic_write(path, page(results))


def page(results: Mapping[str, Any]) -> str:
    if results["kind"] == "comparison":
        title, body = "NEAT comparison", comparison_body(results)
    else:
        title = f"NEAT {results['kind']} · {results['checkpoint']['path']}"
        body = header_html(results) + "".join(
            SECTIONS.get(name, generic_section)(name, section)
            for name, section in results["results"].items())
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><h1>{escape(title)}</h1>{body}"
            f"<p class=\"meta\">NEAT {escape(results['neat_version'])} · results schema "
            f"{results['schema_version']} · {escape(results['created'])}</p></body></html>\n")


# --- helpers ------------------------------------------------------------------------------

def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows[:MAX_ROWS])
    more = (f"<p class=\"meta\">{len(rows) - MAX_ROWS} more rows in the json report</p>"
            if len(rows) > MAX_ROWS else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def image(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{escape(alt)}">'


def cards(items: Sequence[tuple[str, str]]) -> str:
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card\"><b>{escape(value)}</b>{escape(label)}</div>"
        for label, value in items) + "</div>"


def header_html(results: Mapping[str, Any]) -> str:
    checkpoint, data, backend = results["checkpoint"], results["data"], results["backend"]
    model = results["config"]["model"]
    size = ", ".join(f"{k} {v}" for k, v in model.items() if k != "name")
    return (f"<p class=\"meta\">model <b>{escape(checkpoint['model'])}</b> ({escape(size)}) · "
            f"step {escape(str(checkpoint.get('step')))} · backend "
            f"{escape(str(backend.get('name')))}<br>data: {data['documents']:,} document(s), "
            f"{data['bytes']:,} bytes ({escape(origin_text(data))})</p>")


# --- sections ---------------------------------------------------------------------------

def bits_per_byte_section(name: str, section: Mapping[str, Any]) -> str:
    overall, context = section["overall"], section["context"]
    compressors = section["compressors"] or {}
    labels = ["model", *compressors]
    chart = plots.bits_per_byte_bars(labels, {"bits per byte": [overall["bits_per_byte"],
                                                                 *compressors.values()]})
    directory, labels = short_names([d["name"] for d in section["documents"]])
    rows = [[label, number(d["bytes"]), number(d["bits_per_byte"]), number(d["loss"]),
             *(number((d["compressors"] or {}).get(c)) for c in compressors)]
            for label, d in zip(labels, section["documents"])]
    return ("<h2>How good is the model?</h2>"
            + cards([("bits per byte", number(overall["bits_per_byte"])),
                     ("loss (nats/byte)", number(overall["loss"])),
                     ("perplexity", number(overall["perplexity"])),
                     ("bytes scored", number(overall["bytes"]))])
            + f"<p class=\"meta\">Every byte is predicted {context_text(context)}. "
              f"Compressors: each "
              f"document compressed on its own with the standard library's defaults.</p>"
            + image(chart, "bits per byte of the model and of gzip, bz2 and xz")
            + f"<h3>Per document{f' (in {escape(directory)})' if directory else ''}</h3>"
            + table(["document", "bytes", "bits/byte", "loss", *compressors], rows))


def entropy_section(name: str, section: Mapping[str, Any]) -> str:
    stats = [[key, number(section[key])] for key in
             ("mean", "std", "min", "p5", "p25", "p50", "p75", "p95", "max")]
    by_class = [[cls, number(v["predictions"]), number(v["mean"]), number(v["p50"])]
                for cls, v in section["by_class"].items()]
    return ("<h2>Entropy of the next-byte predictions</h2>"
            + f"<p class=\"meta\">{section['predictions']:,} predictions, in bits "
              f"(0 = certain, 8 = uniform over 256 bytes).</p>"
            + "<div class=\"plots\">" + image(plots.entropy_histogram(section["histogram"]),
                                              "histogram of entropies")
            + "<div>" + table(["statistic", "bits"], stats) + "</div><div>"
            + table(["predicted byte", "predictions", "mean", "median"], by_class)
            + "</div></div>")


def patches_section(name: str, section: Mapping[str, Any]) -> str:
    patching, sweep, preview = section["patching"], section["sweep"], section["preview"]
    current = patching[sweep["parameter"]]
    sweep_rows = [[number(p["threshold"], 2), number(p["mean_patch_size"], 2),
                   number(p["patches_per_kb"], 1)] for p in sweep["points"]]
    calibration = [[f"{c['target_patch_size']:g}", number(c["threshold"]),
                    number(c["mean_patch_size"], 2)] for c in sweep["calibration"]]
    return ("<h2>What patches does it make?</h2>"
            + f"<p class=\"meta\">Patching: {escape(patching_text(patching))}.</p>"
            + cards([("patches", number(section["patches"])),
                     ("mean patch size (bytes)", number(section["mean_patch_size"], 2)),
                     ("median patch size", f"{section['median_patch_size']:g}"),
                     ("boundary ratio", number(section["boundary_ratio"])),
                     ("patches per KiB", number(section["patches_per_kb"], 1))])
            + image(plots.entropy_along_text(preview, patching),
                    "entropy along the text with patch starts and threshold")
            + "<div class=\"plots\">"
            + image(plots.patch_size_histogram(section["size_histogram"]),
                    "histogram of patch sizes")
            + image(plots.threshold_sweep(sweep, current), "threshold sweep") + "</div>"
            + "<h3>Threshold for a target patch size</h3>"
            + table(["target size (bytes)", "θ (bits)", "mean size reached"], calibration)
            + "<details><summary>Full threshold sweep</summary>"
            + table(["θ (bits)", "mean patch size", "patches per KiB"], sweep_rows)
            + "</details>" + shaded_text(preview))


def shaded_text(preview: Mapping[str, Any]) -> str:
    spans = []
    for piece in pieces(bytes(preview["bytes"]), preview["entropies"], preview["boundaries"]):
        alpha = 0.85 * min(piece.entropy, MAX_BITS) / MAX_BITS
        css = ' class="b"' if piece.starts_patch else ""
        spans.append(f'<span{css} style="background:rgba(220,50,32,{alpha:.2f})" '
                     f'title="byte {piece.offset}: {piece.entropy:.2f} bits">'
                     f"{escape(piece.text)}</span>")
    legend = "".join(f'<span style="background:rgba(220,50,32,{0.85 * b / MAX_BITS:.2f})">'
                     f"{b} bits</span>" for b in range(0, 9, 2))
    return (f"<h3>Start of {escape(preview['document'])} ({len(preview['bytes']):,} bytes)</h3>"
            f"<p class=\"meta legend\">Background: entropy {legend}; blue bar: a patch "
            f"starts. Hover a character for its entropy.</p>"
            f"<pre class=\"shaded\">{''.join(spans)}</pre>")


def generic_section(name: str, section: Any) -> str:
    """Results of an evaluator this report has no layout for, by their shape (see
    :mod:`.nested`): tables of fields and rows, sub-sections one heading level down."""
    return f"<h2>{escape(name)}</h2>" + nested_html(nested.blocks(section), 3)


def nested_html(blocks: Sequence[nested.Block], level: int) -> str:
    heading = f"h{min(level, 6)}"
    parts = []
    for block in blocks:
        if isinstance(block, nested.Fields):
            parts.append(table(["", "value"], [[key, nested.plain_text(value)]
                                               for key, value in block.items]))
        elif isinstance(block, nested.Table):
            parts.append(f"<{heading}>{escape(block.title)}</{heading}>" + table(
                block.headers, [[nested.plain_text(cell) for cell in row]
                                for row in block.rows]))
        elif isinstance(block, nested.Values):
            shown = ", ".join(nested.plain_text(value) for value in block.values[:MAX_ROWS])
            more = f" … ({len(block.values):,} in all)" if len(block.values) > MAX_ROWS else ""
            parts.append(f"<p><b>{escape(block.title)}</b>: {escape(shown or '(none)')}"
                         f"{more}</p>")
        else:
            inner = nested_html(block.blocks, level + 1) or "<p class=\"meta\">(none)</p>"
            parts.append(f"<{heading}>{escape(block.title)}</{heading}>{inner}")
    return "".join(parts)


SECTIONS: dict[str, Callable[[str, Any], str]] = {
    "bits-per-byte": bits_per_byte_section,
    "entropy": entropy_section,
    "patches": patches_section,
}


def comparison_body(results: Mapping[str, Any]) -> str:
    runs, data = results["runs"], results["data"]
    names = [f"[{i + 1}] {run['checkpoint']['path']}" for i, run in enumerate(runs)]
    intro = (f"<p class=\"meta\">The same {data['documents']:,} document(s), "
             f"{data['bytes']:,} bytes ({escape(origin_text(data))}), for every checkpoint."
             f"</p>")
    bpb = [run["results"].get("bits-per-byte") for run in runs]
    side_by_side = {"bits-per-byte"} if all(bpb) else set()
    others = "".join(generic_section(f"{name} {run_name}", section)  # run by run
                     for run_name, run in zip(names, runs)
                     for name, section in run["results"].items() if name not in side_by_side)
    if not all(bpb):
        return intro + others
    compressors = list(bpb[0]["compressors"] or {})
    rows = [[label, *(number(b["overall"][key]) for b in bpb)]
            for label, key in (("bits per byte", "bits_per_byte"),
                               ("loss (nats/byte)", "loss"), ("perplexity", "perplexity"))]
    rows += [["step", *(str(run["checkpoint"].get("step")) for run in runs)]]
    chart = plots.bits_per_byte_bars(["model", *compressors], {
        name: [b["overall"]["bits_per_byte"],
               *((b["compressors"] or {}).get(c) for c in compressors)]
        for name, b in zip(names, bpb)})
    return (intro + table(["", *names], rows)
            + image(chart, "bits per byte of each checkpoint beside the compressors") + others)

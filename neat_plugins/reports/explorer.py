"""The patch explorer of the html report: the start of the input shaded by entropy, with
a mode switch (global, relative, combined) and threshold sliders that re-cut its patches
in the browser (``explorer.js``, inlined: the page stays one file that works offline).

The page stores the preview's entropies as the float32 values the rules compare, so the
browser cuts exactly the patches ``neat_plugins.blt.patching.rules`` cuts from them.
Without JavaScript the page shows the patches of the analysis.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any, Mapping

from .shading import MAX_BITS, pieces

MODES = ("global", "relative", "combined")  # the modes whose patches depend on entropy

STYLE = """
#explorer .controls { display: flex; flex-wrap: wrap; gap: .4rem 1.4rem; align-items: center;
       margin: .6rem 0; }
#explorer input[type=range] { width: 14rem; vertical-align: middle; }
#explorer output { font-variant-numeric: tabular-nums; display: inline-block; width: 2.6rem; }
#explorer [data-show=hover] { min-height: 1.4em; }
"""


def explorer(preview: Mapping[str, Any], patching: Mapping[str, Any]) -> str:
    """The explorer's section for a ``patches`` result's preview and patching."""
    data = {key: patching[key] for key in ("threshold", "relative_threshold",
                                           "min_patch_size", "max_patch_size")}
    data["entropies"] = preview["entropies"]
    script = resources.files(__package__).joinpath("explorer.js").read_text("utf-8")
    return (f"<section id=\"explorer\"><h3>Patch explorer: the start of "
            f"{escape(preview['document'])} ({len(preview['bytes']):,} bytes)</h3>"
            f"<p class=\"meta legend\">Background: entropy of each character's prediction "
            f"{legend()}; blue bar: a patch starts. Choose a mode and move a threshold to "
            f"cut the patches again{fixed_sizes(patching)}.</p>"
            + controls(patching) + figures(preview)
            + "<p class=\"meta\" data-show=\"hover\">Hover a character for its entropy.</p>"
            + shaded(preview)
            # "<" escaped: the data cannot end the script element early
            + "<script type=\"application/json\" class=\"explorer-data\">"
            + json.dumps(data, separators=(",", ":")).replace("<", "\\u003c") + "</script>"
            + f"<script>{script}</script></section>")


def legend() -> str:
    return "".join(f'<span style="background:rgba(220,50,32,{0.85 * b / MAX_BITS:.2f})">'
                   f"{b} bits</span>" for b in range(0, 9, 2))


def fixed_sizes(patching: Mapping[str, Any]) -> str:
    sizes = [f"{label} {patching[key]}" for label, key in
             (("minimum", "min_patch_size"), ("maximum", "max_patch_size"))
             if patching[key] is not None]
    return f" (patch sizes as analysed: {', '.join(sizes)} bytes)" if sizes else ""


def controls(patching: Mapping[str, Any]) -> str:
    analysed = patching["mode"]
    radios = "".join(f"<label><input type=\"radio\" name=\"mode\" value=\"{mode}\""
                     f"{' checked' if mode == analysed else ''}> {mode}</label>"
                     for mode in MODES)
    note = ("" if analysed in MODES else
            f"<span class=\"meta\">analysed with {escape(analysed)} patches: choose a "
            f"mode to cut by entropy</span>")
    sliders = "".join(
        f"<label>{label} <input type=\"range\" name=\"{name}\" min=\"0\" max=\"{MAX_BITS:g}\""
        f" step=\"0.01\" value=\"{patching[key]:.2f}\"> <output data-show=\"{name}\">"
        f"{patching[key]:.2f}</output> bits</label>"
        for label, name, key in (("threshold", "threshold", "threshold"),
                                 ("rise threshold", "relative", "relative_threshold")))
    return f"<div class=\"controls\"><span>mode {radios}</span>{note}{sliders}</div>"


def figures(preview: Mapping[str, Any]) -> str:
    size, patches = len(preview["bytes"]), len(preview["boundaries"])
    cards = (("patches", "patches", f"{patches:,}"),
             ("mean", "mean patch size (bytes)", f"{size / patches:.2f}" if patches else "-"),
             ("per-kib", "patches per KiB", f"{1024 * patches / size:.1f}" if size else "-"))
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card\"><b data-show=\"{name}\">{value}</b>{label}</div>"
        for name, label, value in cards) + "</div>"


def shaded(preview: Mapping[str, Any]) -> str:
    """The preview as one span per character: its offset and size in bytes for the
    script, its entropy as the background and the title."""
    spans = []
    for piece in pieces(bytes(preview["bytes"]), preview["entropies"], preview["boundaries"]):
        alpha = 0.85 * min(piece.entropy, MAX_BITS) / MAX_BITS
        css = ' class="b"' if piece.starts_patch else ""
        spans.append(f'<span{css} data-o="{piece.offset}" data-n="{piece.size}" '
                     f'style="background:rgba(220,50,32,{alpha:.2f})" '
                     f'title="byte {piece.offset}: {piece.entropy:.2f} bits">'
                     f"{escape(piece.text)}</span>")
    return f"<pre class=\"shaded\">{''.join(spans)}</pre>"

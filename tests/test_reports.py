"""Report plugins: the json key schema, a valid self-contained html page with decodable
PNG plots, terminal text with and without colour, unknown and third-party reports."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

import neat_core
from neat_core import hookimpl
from neat_core.testing import plugin_registered

from .eval_helpers import SuccessorPlugin, is_letter, save

TEXT = "The cat sat on the mat, 42 times.\n\tThe end. \u00e9\u00e9!"

# The documented key schema (docs/evaluation.md), schema_version 1. A change here is a
# change to the results format: bump RESULTS_SCHEMA_VERSION and update the docs.
HEADER_KEYS = {"schema_version", "kind", "view", "neat_version", "created", "checkpoint",
               "flops_per_byte", "backend", "config", "data", "results"}
CHECKPOINT_KEYS = {"path", "model", "step", "metrics"}
DATA_KEYS = {"origin", "sources", "documents", "bytes"}
METRIC_KEYS = {"bytes", "loss", "perplexity", "bits_per_byte"}
BPB_KEYS = {"overall", "compressors", "documents", "context"}
STATS = {"mean", "std", "min", "max", "p5", "p25", "p50", "p75", "p95"}
ENTROPY_KEYS = {"predictions", *STATS, "histogram", "by_class", "documents"}
CLASSES = {"letters", "digits", "whitespace", "punctuation", "non-ascii", "control"}
PATCH_KEYS = {"patching", "patches", "mean_patch_size", "median_patch_size",
              "min_patch_size", "max_patch_size", "boundary_ratio", "patches_per_kb",
              "size_histogram", "documents", "sweep", "preview"}
PATCHING_KEYS = {"mode", "threshold", "relative_threshold", "patch_size", "min_patch_size",
                 "max_patch_size", "target_patch_size", "calibrated", "active_threshold"}


@pytest.fixture
def ckpt(tmp_path):
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield save(tmp_path / "ckpt", peak=8.0)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_eval_json_keys_are_the_documented_schema(run_cli, ckpt, tmp_path):
    result = run_cli("eval", str(ckpt), "--data", __file__,
                 "--report", "json", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    results = read_json(tmp_path / "out" / "eval.json")
    assert set(results) == HEADER_KEYS
    assert (results["schema_version"], results["kind"], results["view"]) == (1, "eval", "full")
    assert set(results["checkpoint"]) == CHECKPOINT_KEYS
    assert set(results["data"]) == DATA_KEYS and results["data"]["origin"] == "files"
    assert set(results["results"]) == {"bits-per-byte"}
    bpb = results["results"]["bits-per-byte"]
    assert set(bpb) == BPB_KEYS
    assert set(bpb["overall"]) == METRIC_KEYS
    assert set(bpb["compressors"]) == {"gzip", "bz2", "xz"}
    assert set(bpb["documents"][0]) == {"name", *METRIC_KEYS, "compressors"}
    assert set(bpb["context"]) == {"block_size", "stride", "batch_size", "cache",
                                   "min_context"}
    saved = neat_core.config.to_dict(neat_core.load_checkpoint(ckpt).config)
    # the checkpoint's config with the command's flags on top
    assert results["config"]["model"] == saved["model"] == {
        "name": "successor", "block_size": 16, "peak": 8.0, "other": 0.0}
    assert results["config"]["eval"]["reports"] == ["json"]


def test_analysis_json_keys_are_the_documented_schema(run_cli, ckpt, tmp_path):
    result = run_cli("analyze", str(ckpt), "--text", TEXT, "--report", "json",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    results = read_json(tmp_path / "analysis.json")
    assert set(results) == HEADER_KEYS and results["kind"] == "analysis"
    assert results["data"] == {"origin": "text", "sources": [], "documents": 1,
                               "bytes": len(TEXT.encode())}
    entropy, patches = results["results"]["entropy"], results["results"]["patches"]
    assert set(entropy) == ENTROPY_KEYS
    assert set(entropy["histogram"]) == {"edges", "counts"}
    assert len(entropy["histogram"]["edges"]) == len(entropy["histogram"]["counts"]) + 1
    assert set(entropy["by_class"]) == CLASSES
    assert all(set(v) == {"predictions", "mean", "p50"} for v in entropy["by_class"].values())
    assert set(entropy["documents"][0]) == {"name", "predictions", "mean"}
    assert set(patches) == PATCH_KEYS and set(patches["patching"]) == PATCHING_KEYS
    assert set(patches["size_histogram"]) == {"sizes", "counts"}
    assert set(patches["documents"][0]) == {"name", "bytes", "patches", "mean_patch_size"}
    assert set(patches["sweep"]) == {"mode", "parameter", "points", "calibration"}
    assert set(patches["sweep"]["points"][0]) == {"threshold", "mean_patch_size",
                                                  "patches_per_kb"}
    assert set(patches["sweep"]["calibration"][0]) == {"target_patch_size", "threshold",
                                                       "mean_patch_size"}
    assert set(patches["preview"]) == {"document", "document_bytes", "bytes", "entropies",
                                       "boundaries"}


def test_comparison_json_holds_each_run(run_cli, ckpt, tmp_path):
    other = save(tmp_path / "other", peak=0.0, step=99)
    result = run_cli("compare", str(ckpt), str(other), "--data", __file__, "--report", "json",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    results = read_json(tmp_path / "comparison.json")
    assert set(results) == {"schema_version", "kind", "view", "neat_version", "created",
                            "data", "runs"}
    assert [set(r) for r in results["runs"]] == [HEADER_KEYS, HEADER_KEYS]
    assert [r["checkpoint"]["step"] for r in results["runs"]] == [7, 99]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []
        self.shaded = ""  # the text of <pre class="shaded">
        self._in_shaded = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "pre" and attributes.get("class") == "shaded":
            self._in_shaded = True
        if tag == "img":
            self.images.append(attributes["src"])
        for key in ("href", "src"):
            if (attributes.get(key) or "").startswith(("http:", "https:", "//")):
                self.external.append(attributes[key])

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_shaded = False

    def handle_data(self, data):
        if self._in_shaded:
            self.shaded += data


def parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def decoded_pngs(sources: list[str]) -> list[bytes]:
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in sources)
    pngs = [base64.b64decode(src[len(prefix):], validate=True) for src in sources]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
               for png in pngs)
    return pngs


def marked_characters(text: str) -> list[str]:
    """The characters a patch starts in: after each byte that is not a letter (the
    successor model is unsure there), one mark per character."""
    data = text.encode()
    starts = {t + 1 for t in range(len(data) - 1) if not is_letter(data[t])}
    marked, offset = [], 0
    for character in text:
        size = len(character.encode())
        if starts & set(range(offset, offset + size)):
            marked.append(character)
        offset += size
    return marked


def test_html_analysis_is_one_valid_page_with_embedded_plots(run_cli, ckpt, tmp_path):
    result = run_cli("analyze", str(ckpt), "--text", TEXT, "--report", "html,json",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis.html", "analysis.json",
                                                          "ckpt"]
    page = parse_page(tmp_path / "analysis.html")
    assert page.tags[0] == "html" and "table" in page.tags and not page.external
    # entropy along the text, entropy histogram, patch sizes, threshold sweep
    assert len(decoded_pngs(page.images)) == 4
    html = (tmp_path / "analysis.html").read_text()
    assert html.count('class="b"') == len(marked_characters(TEXT))
    assert page.shaded == TEXT.replace("\t", "    ") and "<script" not in html


def test_html_eval_and_comparison_pages(run_cli, ckpt, tmp_path):
    other = save(tmp_path / "other", peak=0.0)
    assert run_cli("eval", str(ckpt), "--data", __file__, "--report", "html",
               "--out", str(tmp_path)).exit_code == 0
    assert run_cli("eval", str(ckpt), str(other), "--data", __file__, "--report", "html",
               "--out", str(tmp_path)).exit_code == 0
    for name in ("eval.html", "comparison.html"):
        page = parse_page(tmp_path / name)
        assert len(decoded_pngs(page.images)) == 1 and "table" in page.tags


def test_text_report_marks_patches_and_shades_with_colour(run_cli, ckpt, monkeypatch):
    plain = run_cli("analyze", str(ckpt), "--text", "ab cd")
    assert plain.exit_code == 0, plain.stderr
    assert "ab |cd" in plain.stdout and "\x1b[" not in plain.stdout
    assert "Bits" not in plain.stdout and "Patches (global, threshold 2.00 bits)" in plain.stdout
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run_cli("analyze", str(ckpt), "--text", "ab cd")
    # a byte is shaded by its own prediction: "c", predicted after " " with 8 bits, is red
    assert "\x1b[48;5;196mc\x1b" in coloured.stdout
    assert "\x1b[48;5;196m" not in coloured.stdout.replace("\x1b[48;5;196mc\x1b", "")
    assert "▏" in coloured.stdout


def test_text_eval_report(run_cli, ckpt):
    result = run_cli("eval", str(ckpt), "--data", __file__)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"NEAT eval · {ckpt} · successor · step 7 · cpu")
    assert any(line.split()[:1] == ["model"] for line in lines)
    assert any(line.split()[:1] == ["gzip"] for line in lines)


def test_unknown_report_exits_2_listing_the_registered_ones(run_cli, ckpt):
    result = run_cli("eval", str(ckpt), "--data", __file__, "--report", "text,pdf")
    assert result.exit_code == 2
    assert "unknown report 'pdf'" in result.stderr
    assert "registered reports: html, json, text" in result.stderr


class _MarkdownReport:
    @hookimpl
    def register_reports(self, register):
        register("markdown", lambda config: self, description="third-party markdown")

    def write(self, results, out_dir):
        path = Path(out_dir) / f"{results['kind']}.md"
        bpb = results["results"]["bits-per-byte"]["overall"]["bits_per_byte"]
        path.write_text(f"# {results['checkpoint']['model']}\n\nbits/byte: {bpb:.3f}\n")
        return path


def test_a_third_party_report_plugin_works_like_the_builtins(run_cli, ckpt, tmp_path):
    with plugin_registered(_MarkdownReport(), name="markdown-report"):
        result = run_cli("eval", str(ckpt), "--data", __file__, "--report", "markdown,text",
                     "--out", str(tmp_path))
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / "eval.md").read_text().startswith("# successor\n\nbits/byte: ")
        assert "wrote " in result.stderr and "bits/byte" in result.stdout
    assert run_cli("eval", str(ckpt), "--report", "markdown").exit_code == 2


# --- a third-party evaluator's nested results render as content ---------------------------

NESTED = {
    "overall": {"bytes": 1234, "bits_per_byte": 2.5, "label": "all"},
    "by_class": {"letter": {"bytes": 1000, "bits_per_byte": 2.25},
                 "digit": {"bytes": 34, "bits_per_byte": None}},
    "rows": [{"name": "a.txt", "bits": 3.125}, {"name": "b.txt", "bits": 1.5, "extra": [1, 2]}],
    "deeper": {"level": 2, "inner": {"thresholds": [0.5, 1.0], "empty": []}},
    "count": 7,
}


def test_nested_results_become_fields_tables_and_sections():
    from neat_plugins.reports import nested

    count, overall, by_class, rows, deeper = nested.blocks(NESTED)
    assert count == nested.Fields((("count", 7),))
    assert overall == nested.Section("overall", (nested.Fields(
        (("bytes", 1234), ("bits_per_byte", 2.5), ("label", "all"))),))
    assert by_class == nested.Table("by_class", ("", "bytes", "bits_per_byte"),
                                    (("letter", 1000, 2.25), ("digit", 34, None)))
    assert rows == nested.Table("rows", ("name", "bits", "extra"),
                                (("a.txt", 3.125, None), ("b.txt", 1.5, [1, 2])))
    assert deeper == nested.Section("deeper", (
        nested.Fields((("level", 2),)),
        nested.Section("inner", (nested.Values("thresholds", (0.5, 1.0)),
                                 nested.Values("empty", ())))))
    assert [nested.plain_text(v) for v in (None, True, 12345, 2 / 3, [1, 2], "x")] == \
        ["-", "true", "12,345", "0.666667", "[1,2]", "x"]
    assert nested.blocks([{"a": 1}]) == [nested.Table("result", ("a",), ((1,),))]


def test_text_report_renders_nested_results_of_an_unknown_evaluator():
    from neat_plugins.reports.text import generic_section

    lines = generic_section("counts", NESTED, color=False)
    assert lines[:2] == ["counts", "  count: 7"]
    text = "\n".join(lines)
    assert "  overall\n    bytes: 1,234\n    bits_per_byte: 2.5\n    label: all" in text
    assert any(line.split() == ["letter", "1,000", "2.25"] for line in lines)
    assert any(line.split() == ["b.txt", "1.5", "[1,2]"] for line in lines)
    assert "    inner\n      thresholds: 0.5, 1\n      empty: (none)" in text


def test_html_report_renders_nested_results_of_an_unknown_evaluator():
    from neat_plugins.reports.html import generic_section

    page = generic_section("counts", NESTED)
    assert page.startswith("<h2>counts</h2><table>")
    assert "<td>letter</td><td>1,000</td><td>2.25</td>" in page
    assert "<h3>rows</h3><table><thead><tr><th>name</th><th>bits</th><th>extra</th>" in page
    assert "<td>b.txt</td><td>1.5</td><td>[1,2]</td>" in page
    assert "<h3>deeper</h3>" in page and "<h4>inner</h4><p><b>thresholds</b>: 0.5, 1</p>" \
        in page and "<pre>" not in page


class _CountingEvaluator:
    """A third-party evaluator whose results nest: how often each byte class occurs."""

    @hookimpl
    def register_evaluators(self, register):
        register("byte-counts", lambda model, config, backend: self)

    def evaluate(self, documents):
        data = b"".join(data for _, data in documents)
        return {"bytes": len(data),
                "classes": {"letters": {"count": sum(map(is_letter, data))},
                            "other": {"count": sum(not is_letter(b) for b in data)}},
                "documents": [{"name": Path(name).name, "bytes": len(d)}
                              for name, d in documents]}


def test_reports_render_a_third_party_evaluator_in_eval_and_comparison(run_cli, ckpt,
                                                                       tmp_path):
    other = save(tmp_path / "other", peak=0.0)
    evaluators = "--set", "eval.evaluators=bits-per-byte,byte-counts"
    data = Path(__file__).read_bytes()
    letters = sum(map(is_letter, data))
    with plugin_registered(_CountingEvaluator(), name="counting"):
        single = run_cli("eval", str(ckpt), "--data", __file__, *evaluators,
                         "--report", "text,html", "--out", str(tmp_path / "one"))
        both = run_cli("compare", str(ckpt), str(other), "--data", __file__, *evaluators,
                       "--report", "text,html", "--out", str(tmp_path / "two"))
    assert single.exit_code == 0 and both.exit_code == 0, single.stderr + both.stderr
    lines = single.stdout.splitlines()
    assert f"  bytes: {len(data):,}" in lines
    assert any(line.split() == ["letters", f"{letters:,}"] for line in lines)
    assert any(line.split() == ["test_reports.py", f"{len(data):,}"] for line in lines)
    page = (tmp_path / "one" / "eval.html").read_text()
    assert f"<td>letters</td><td>{letters:,}</td>" in page
    assert "byte-counts [1]" in both.stdout and "byte-counts [2]" in both.stdout
    compared = (tmp_path / "two" / "comparison.html").read_text()
    assert compared.count(f"<td>letters</td><td>{letters:,}</td>") == 2

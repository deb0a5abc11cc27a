"""The html report's patch explorer in a real browser (Debian's chromium, driven by
playwright): moving a threshold slider and switching modes re-cuts the patches exactly
as the numpy rules of the blt plugin do, the figures follow, hovering shows an entropy,
and the page loads nothing from anywhere."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from neat_plugins.blt.patching.rules import patch_lengths
from neat_plugins.reports.shading import pieces

from .blt_util import save_entropy_checkpoint

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium installed (Debian: apt-get install chromium; "
                             ".ci/run installs it)")

TEXT = ("def patch(entropies, threshold):\n    return [t for t, h in enumerate(entropies) "
        "if h > threshold]  # naïve, café: ünïcödé\n" * 3)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (the test extra)")
    with sync_api.sync_playwright() as playwright:
        # Debian's chromium, not playwright's download; no sandbox: CI runs as root
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              chromium_sandbox=False)
        yield launched
        launched.close()


def analysed(run_cli, tmp_path, *settings: str) -> tuple[dict, str]:
    """(the preview and patching of `neat analyze --report json`, the html page's URL)."""
    checkpoint = save_entropy_checkpoint(tmp_path / "ckpt")
    result = run_cli("analyze", str(checkpoint), "--text", TEXT, "--report", "html,json",
                     "--out", str(tmp_path / "report"), *settings)
    assert result.exit_code == 0, result.stderr
    patches = json.loads((tmp_path / "report" / "analysis.json").read_text())[
        "results"]["patches"]
    return patches, (tmp_path / "report" / "analysis.html").as_uri()


def expected(preview: dict, patching: dict, mode: str, threshold: float,
             relative: float) -> tuple[list[int], int]:
    """(offsets of the characters that start a patch, number of patches) by the numpy
    rules, for the preview's entropies as the page stores them."""
    lengths = patch_lengths(np.asarray(preview["entropies"], dtype=np.float32), mode,
                            threshold=threshold, relative_threshold=relative,
                            min_patch_size=patching["min_patch_size"],
                            max_patch_size=patching["max_patch_size"])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
    marked = [piece.offset for piece in pieces(bytes(preview["bytes"]), preview["entropies"],
                                               starts) if piece.starts_patch]
    return marked, len(lengths)


def shown(page) -> dict:
    """What the explorer shows: marked characters, the figures and the thresholds."""
    def text(name: str) -> str:
        return page.text_content(f"#explorer [data-show={name}]")

    marked = page.eval_on_selector_all(
        "#explorer pre span[data-o]",
        "spans => spans.filter(s => s.classList.contains('b')).map(s => +s.dataset.o)")
    return {"marked": marked, "patches": int(text("patches").replace(",", "")),
            "mean": float(text("mean")), "per_kib": float(text("per-kib")),
            "threshold": float(page.input_value("input[name=threshold]")),
            "relative": float(page.input_value("input[name=relative]"))}


def check(page, preview: dict, patching: dict, mode: str, threshold: float,
          relative: float) -> dict:
    state = shown(page)
    marked, patches = expected(preview, patching, mode, threshold, relative)
    assert state["marked"] == marked
    size = len(preview["bytes"])
    assert state["patches"] == patches
    assert state["mean"] == pytest.approx(size / patches, abs=0.0051)
    assert state["per_kib"] == pytest.approx(1024 * patches / size, abs=0.051)
    return state


def open_page(browser, url: str, requests: list[str]):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    return page, errors


def test_sliders_and_modes_recut_the_patches_as_the_numpy_rules_do(run_cli, tmp_path,
                                                                    browser):
    patches, url = analysed(run_cli, tmp_path, "--threshold", "3.3")
    preview, patching = patches["preview"], patches["patching"]
    requests: list[str] = []
    page, errors = open_page(browser, url, requests)

    # as analysed: global, threshold 3.3, the page's patches are the analysis' patches
    first = check(page, preview, patching, "global", 3.3, patching["relative_threshold"])
    assert first["marked"] == [p.offset for p in pieces(bytes(preview["bytes"]),
                                                        preview["entropies"],
                                                        preview["boundaries"])
                               if p.starts_patch]

    # the mouse moves the threshold: another threshold, other patches
    slider = page.locator("input[name=threshold]")
    box = slider.bounding_box()
    slider.click(position={"x": box["width"] * 0.2, "y": box["height"] / 2})
    moved = shown(page)["threshold"]
    assert moved < 3.0
    lower = check(page, preview, patching, "global", moved, patching["relative_threshold"])
    assert lower["patches"] > first["patches"]
    assert page.text_content("#explorer [data-show=threshold]") == f"{moved:.2f}"

    # relative: the rise threshold slider, moved with the keyboard, 0.01 per key
    page.check("input[name=mode][value=relative]")
    assert page.is_disabled("input[name=threshold]")
    relative = check(page, preview, patching, "relative", moved, patching["relative_threshold"])
    page.focus("input[name=relative]")
    for _ in range(40):
        page.keyboard.press("ArrowLeft")
    rise = shown(page)["relative"]
    assert rise == pytest.approx(patching["relative_threshold"] - 0.4)
    assert check(page, preview, patching, "relative", moved, rise)["marked"] != \
        relative["marked"]

    # combined: both thresholds at once
    page.check("input[name=mode][value=combined]")
    combined = check(page, preview, patching, "combined", moved, rise)
    assert combined["patches"] <= lower["patches"]

    # hovering a character shows its entropy (the mean of its bytes' predictions)
    piece = next(p for p in pieces(bytes(preview["bytes"]), preview["entropies"], [])
                 if p.offset > 10 and p.size == 2)
    page.hover(f"#explorer pre span[data-o='{piece.offset}']")
    assert page.text_content("#explorer [data-show=hover]") == \
        f"byte {piece.offset}: {piece.entropy:.2f} bits"

    page.locator("#explorer").screenshot(path=str(tmp_path / "explorer.png"))
    assert (tmp_path / "explorer.png").read_bytes().startswith(b"\x89PNG")
    assert errors == [] and requests == [url]  # one self-contained file


def test_the_page_and_the_numpy_rules_agree_on_every_setting(run_cli, tmp_path, browser):
    probe, _ = analysed(run_cli, tmp_path / "probe")
    values = np.asarray(probe["preview"]["entropies"], dtype=np.float32)
    rises = np.diff(values)
    # thresholds that equal a stored entropy and a stored rise: equal is not above
    threshold = float(np.sort(values)[len(values) // 2])
    positive = np.sort(rises[rises > 0])
    rise = float(positive[len(positive) // 2])
    # 384 bytes: with a minimum of 5 the last patch is short (merged with the one
    # before), and the maximum of 7 then splits that one
    patches, url = analysed(run_cli, tmp_path / "page", "--mode", "combined",
                            "--threshold", repr(threshold),
                            "--set", f"patching.relative_threshold={rise!r}",
                            "--set", "patching.min_patch_size=5",
                            "--set", "patching.max_patch_size=7")
    preview, patching = patches["preview"], patches["patching"]
    assert patching["threshold"] == threshold and patching["relative_threshold"] == rise
    page, errors = open_page(browser, url, [])
    for mode in ("combined", "global", "relative"):  # the exact thresholds, unmoved
        page.check(f"input[name=mode][value={mode}]")
        check(page, preview, patching, mode, threshold, rise)
    counts = set()
    uses = {"global": ["threshold"], "relative": ["relative"],
            "combined": ["threshold", "relative"]}
    for mode, sliders in uses.items():
        page.check(f"input[name=mode][value={mode}]")
        for step in range(0, 17):
            for name in sliders:  # the threshold up from 0, the rise down from 8
                page.fill(f"input[name={name}]", f"{8 - step / 2 if name == 'relative' else step / 2:g}")
            state = shown(page)
            counts.add(check(page, preview, patching, mode, state["threshold"],
                             state["relative"])["patches"])
    assert len(counts) > 5 and -(-len(preview["bytes"]) // 7) in counts
    assert errors == []

// The patch explorer of the html report: re-cuts the preview into patches in the
// browser, from the entropies stored in the page, with the rules of
// neat_plugins/blt/patching/rules.py (tests/test_html_explorer.py checks, in Chromium,
// that both give the same patches):
// - patch 0 starts at byte 0; a patch starts at byte t when, with H = the entropies,
//   global: H(t-1) > threshold; relative: H(t-1) - H(t-2) > relative threshold (t >= 2);
//   combined: both;
// - entropies are float32 (a rise is their float32 difference), thresholds are exact;
// - min patch size first (a short patch merges into the next one, a short last patch
//   into the one before), then max patch size (a patch that reaches it ends there).
(function () {
  "use strict";
  const root = document.getElementById("explorer");
  const settings = JSON.parse(root.querySelector(".explorer-data").textContent);
  const entropies = Float32Array.from(settings.entropies);
  const n = entropies.length;
  const spans = Array.from(root.querySelectorAll("pre span[data-o]"));
  const sliders = {
    threshold: root.querySelector("input[name=threshold]"),
    relative: root.querySelector("input[name=relative]"),
  };
  const USES = { global: ["threshold"], relative: ["relative"],
                 combined: ["threshold", "relative"] };
  // the analysed thresholds exactly (a slider rounds to its step) until a slider moves
  const thresholds = { threshold: settings.threshold, relative: settings.relative_threshold };

  function entropyStarts(mode, threshold, relative) {
    const starts = new Uint8Array(n);
    for (let t = 1; t < n; t++) {
      const high = entropies[t - 1] > threshold;
      const rising = t >= 2 && Math.fround(entropies[t - 1] - entropies[t - 2]) > relative;
      starts[t] = mode === "global" ? high : mode === "relative" ? rising : high && rising;
    }
    if (n > 0) starts[0] = 1;
    return starts;
  }

  function mergeShort(starts, size) {
    const kept = [0];
    for (let t = 1; t < n; t++) {
      if (starts[t] && t - kept[kept.length - 1] >= size) kept.push(t);
    }
    if (kept.length > 1 && n - kept[kept.length - 1] < size) kept.pop();
    starts.fill(0);
    for (const t of kept) starts[t] = 1;
  }

  function splitLong(starts, size) {
    let last = 0;  // the last start the rules gave (not one added here)
    for (let t = 0; t < n; t++) {
      if (starts[t]) last = t;
      else if ((t - last) % size === 0) starts[t] = 1;
    }
  }

  function patchStarts(mode, threshold, relative) {
    const starts = entropyStarts(mode, threshold, relative);
    if (settings.min_patch_size > 1 && n > 0) mergeShort(starts, settings.min_patch_size);
    if (settings.max_patch_size) splitLong(starts, settings.max_patch_size);
    return starts;
  }

  function mode() {
    const checked = root.querySelector("input[name=mode]:checked");
    return checked ? checked.value : null;
  }

  function show(name, text) {
    root.querySelector(`[data-show=${name}]`).textContent = text;
  }

  function render() {
    const current = mode();
    for (const [name, slider] of Object.entries(sliders)) {
      slider.disabled = !current || !USES[current].includes(name);
      show(name, thresholds[name].toFixed(2));
    }
    if (!current) return;
    const starts = patchStarts(current, thresholds.threshold, thresholds.relative);
    let patches = 0;
    for (let t = 0; t < n; t++) patches += starts[t];
    for (const span of spans) {  // a character starts a patch when one of its bytes does
      const offset = Number(span.dataset.o), end = offset + Number(span.dataset.n);
      let marked = false;
      for (let t = Math.max(offset, 1); t < end; t++) marked = marked || starts[t] === 1;
      span.classList.toggle("b", marked);
    }
    show("patches", patches.toLocaleString("en-US"));
    show("mean", patches ? (n / patches).toFixed(2) : "-");
    show("per-kib", patches ? (1024 * patches / n).toFixed(1) : "-");
  }

  root.addEventListener("input", (event) => {
    if (event.target.type === "range") thresholds[event.target.name] = Number(event.target.value);
    render();
  });
  root.querySelector("pre").addEventListener("mouseover", (event) => {
    const span = event.target.closest("span[data-o]");
    if (span) show("hover", span.title);
  });
  render();
})();

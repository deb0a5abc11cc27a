"""neat eval / compare / analyze on the command line: inputs, config precedence, the
default evaluation split, interactive analysis driven by piped input, and the exit codes
of bad input (the menu: test_menu.py)."""

from __future__ import annotations

import json
import math

import pytest

from neat_core import hookimpl
from neat_core.testing import plugin_registered

from .eval_helpers import SuccessorPlugin, nll, save


@pytest.fixture
def successor():
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield


@pytest.fixture
def ckpt(tmp_path, successor):
    return save(tmp_path / "ckpt", peak=8.0)


def json_results(tmp_path, kind):
    return json.loads((tmp_path / f"{kind}.json").read_text())


def test_eval_defaults_to_the_checkpoints_evaluation_split(run_cli, tmp_path, successor):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    held_out = b"abcdefgh, abc"
    (corpus / "eval.txt").write_bytes(held_out)
    ckpt = save(tmp_path / "ckpt", peak=8.0,
                data={"train": [__file__], "eval": [str(corpus)],
                      "cache_dir": str(tmp_path / "cache")})
    result = run_cli("eval", str(ckpt), "--report", "json", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    results = json_results(tmp_path, "eval")
    assert results["data"] == {"origin": "eval-split", "sources": [str(corpus)],
                               "documents": 1, "bytes": len(held_out)}
    loss = results["results"]["bits-per-byte"]["overall"]["loss"]
    assert loss == pytest.approx(sum(nll(held_out, 8.0)) / (len(held_out) - 1), rel=1e-5)


def test_held_out_documents_of_the_training_sources(run_cli, tmp_path, successor):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        (corpus / f"{i}.txt").write_bytes(b"some text %d " % i * 20)
    ckpt = save(tmp_path / "ckpt", data={"train": [str(corpus)], "eval_fraction": 0.25,
                                         "cache_dir": str(tmp_path / "cache")})
    result = run_cli("eval", str(ckpt), "--report", "json", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    data = json_results(tmp_path, "eval")["data"]
    assert (data["origin"], data["documents"], data["bytes"]) == ("eval-split", 1, 240)


def test_a_run_directory_means_its_best_checkpoint(run_cli, tmp_path, successor):
    run = tmp_path / "run"
    save(run / "checkpoints" / "step-0000010", peak=0.0, step=10)
    save(run / "checkpoints" / "step-0000020", peak=8.0, step=20)
    result = run_cli("eval", str(run), "--data", __file__, "--report", "json",
                     "--out", str(tmp_path))
    assert json_results(tmp_path, "eval")["checkpoint"]["step"] == 20  # newest: no best yet
    (run / "checkpoints" / "best").symlink_to("step-0000010")
    result = run_cli("eval", str(run), "--data", __file__, "--report", "json",
                     "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert json_results(tmp_path, "eval")["checkpoint"]["step"] == 10
    assert "using checkpoint" in result.stderr


def test_flags_override_the_checkpoints_config(run_cli, tmp_path, successor):
    ckpt = save(tmp_path / "ckpt", peak=8.0, patching={"threshold": 0.5})
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"patching": {"mode": "static", "patch_size": 3}}))
    result = run_cli("analyze", str(ckpt), "--text", "abcdefghij", "--report", "json",
                     "--out", str(tmp_path), "-c", str(config), "--set", "eval.preview_bytes=4")
    assert result.exit_code == 0, result.stderr
    patches = json_results(tmp_path, "analysis")["results"]["patches"]
    assert patches["patching"]["mode"] == "static" and patches["patching"]["threshold"] == 0.5
    assert patches["size_histogram"] == {"sizes": [1, 3], "counts": [1, 3]}
    assert patches["preview"]["bytes"] == list(b"abcd")
    result = run_cli("analyze", str(ckpt), "--text", "ab cd", "--threshold", "9")
    assert result.exit_code == 2 and "patching.threshold" in result.stderr


def test_compare_command_shows_checkpoints_side_by_side(run_cli, tmp_path, successor):
    a, b = save(tmp_path / "a", peak=0.0, step=1), save(tmp_path / "b", peak=8.0, step=2)
    result = run_cli("compare", str(a), str(b), "--data", __file__)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("NEAT comparison · 2 runs · 1 document(s)")
    assert lines[0].endswith("· backend cpu")
    assert lines[1].split() == ["a", str(a)] and lines[2].split() == ["b", str(b)]
    assert ["a", "b"] in [line.split() for line in lines[3:]]  # the columns, by name
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    assert rows["model"] == ["successor", "successor"] and rows["step"] == ["1", "2"]
    assert float(rows["bits/byte"][0]) == pytest.approx(8.0, abs=1e-3)
    data = open(__file__, "rb").read()
    expected = sum(nll(data, 8.0)) / (len(data) - 1) / math.log(2)
    assert float(rows["bits/byte"][1]) == pytest.approx(expected, abs=1e-3)
    # the compressors once: they depend only on the bytes
    compressed = [line for line in lines if "compressed" in line]
    assert len(compressed) == 1 and "gzip" in compressed[0]
    assert result.stderr.count("backend: ") == 1  # one backend for both
    assert run_cli("compare", str(a)).exit_code == 2  # needs two


@pytest.mark.parametrize("args, message", [
    (["eval", "{tmp}/nowhere", "--data", "{file}"], "checkpoint not found"),
    (["eval", "{ckpt}", "--data", "{tmp}/missing.txt"], "missing.txt"),
    (["eval", "{ckpt}", "--data", "{tmp}/nofiles"], "has no files"),
    (["eval", "{ckpt}", "--data", "{tmp}/empty"], "has only empty files"),
    (["eval", "{ckpt}", "--data", "{tmp}/one"], "no data to evaluate"),
    (["analyze", "{ckpt}", "--text", ""], "no data to evaluate"),
    (["analyze", "{ckpt}", "--text", "ab", "--data", "{file}"], "alternatives"),
    (["eval", "{ckpt}", "--data", "{file}", "--report", "pdf"], "registered reports"),
    (["eval", "{damaged}", "--data", "{file}"], "damaged"),
])
def test_bad_input_exits_2_with_one_clear_line(run_cli, tmp_path, ckpt, args, message):
    (tmp_path / "nofiles").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_bytes(b"")
    (tmp_path / "one").write_bytes(b"x")  # one byte: nothing to predict
    damaged = save(tmp_path / "damaged")
    (damaged / "config.json").write_text("{ not json")
    values = {"tmp": tmp_path, "file": __file__, "ckpt": ckpt, "damaged": damaged}
    result = run_cli(*(arg.format(**values) for arg in args))
    assert result.exit_code == 2, result.stdout
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert "nan" not in result.stdout.lower()


def test_interactive_analysis_driven_by_piped_input(run_cli, tmp_path, ckpt):
    document = tmp_path / "doc.txt"
    document.write_text("xyz uvw")
    lines = ["ab cd", ":threshold 9", ":threshold 0.5", ":mode static", ":bogus",
             f":load {document}", ":load", ":help", ":quit", "never analysed"]
    result = run_cli("analyze", str(ckpt), "--interactive", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("ab |cd\n  global, threshold 2.00 bits: 2 patches")
    assert "patching.threshold = 0.5, patching.target_patch_size = None" in out
    assert "patching.mode = static" in out and "ab c|d" in out  # re-shown, static 4
    assert "xyz |uvw\n  static, 4 bytes: 2 patches" in out  # the file, in static mode
    assert ":threshold" in out and ":set KEY=VALUE" in out  # the help
    assert "never analysed" not in out
    errors = result.stderr.splitlines()
    assert any("patching.threshold" in line for line in errors)  # 9 is out of range
    assert any("unknown command ':bogus'" in line for line in errors)
    assert any(":load needs a file" in line for line in errors)


def test_interactive_ends_at_end_of_input_and_takes_a_first_text(run_cli, ckpt):
    result = run_cli("analyze", str(ckpt), "-i", "--text", "ab cd", input="")
    assert result.exit_code == 0 and result.stdout.startswith("ab |cd\n")
    entropy_line = result.stdout.splitlines()[2]
    assert entropy_line.startswith("  entropy mean ")


class _ByteCount:
    """A third-party evaluator: counts one byte value."""

    @hookimpl
    def register_evaluators(self, register):
        register("newlines", lambda model, config, backend: self)

    def evaluate(self, documents):
        return {"newlines": sum(data.count(b"\n") for _, data in documents),
                "documents": len(documents)}


def test_a_third_party_evaluator_is_chosen_by_config(run_cli, tmp_path, ckpt):
    with plugin_registered(_ByteCount(), name="newline-evaluator"):
        result = run_cli("eval", str(ckpt), "--data", __file__, "--report", "text,json",
                         "--out", str(tmp_path), "--set", "eval.evaluators=newlines,bits-per-byte")
    assert result.exit_code == 0, result.stderr
    results = json_results(tmp_path, "eval")["results"]
    assert list(results) == ["newlines", "bits-per-byte"]
    expected = open(__file__, "rb").read().count(b"\n")
    assert results["newlines"] == {"newlines": expected, "documents": 1}
    assert f"  newlines: {expected}" in result.stdout  # shown by the text report as is


def test_compare_of_a_blt_and_a_byte_model_shows_what_each_is_and_costs(run_cli, tmp_path):
    from pathlib import Path

    from neat_core import load_model

    saved = Path(__file__).parent / "data" / "main_checkpoints"  # tiny blt and blt-entropy
    result = run_cli("compare", str(saved / "blt"), str(saved / "entropy"), "--data", __file__,
                     "--backend", "cpu", "--report", "text,json,html", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():  # "  label   cell   cell", cells apart by 2+
        cells = [cell.strip() for cell in line.strip().split("  ") if cell.strip()]
        if line.startswith("  ") and len(cells) == 3:
            rows[cells[0]] = cells[1:]
    assert rows["model"] == ["blt", "blt-entropy"]
    assert rows["patching"] == ["global θ 5.20", "-"]
    assert rows["mean patch size (bytes)"] == ["4 (assumed)", "-"]  # saved before training
    parameters = [sum(p.numel() for p in load_model(saved / name)[0].parameters())
                  for name in ("blt", "entropy")]
    assert rows["parameters"] == [f"{n:,}" for n in parameters]
    compared = json.loads((tmp_path / "comparison.json").read_text())
    blt, entropy = (run["flops_per_byte"] for run in compared["runs"])
    assert [run["name"] for run in compared["runs"]] == ["blt", "entropy"]
    assert rows["FLOPs/byte, forward"] == [f"{blt['forward'] / 1e3:.3g} k",
                                           f"{entropy['forward'] / 1e3:.3g} k"]
    assert rows["FLOPs/byte, inference"] == [
        f"{(blt['forward'] + blt['entropy_model']) / 1e3:.3g} k",
        f"{entropy['forward'] / 1e3:.3g} k"]
    assert rows["training bytes seen"] == ["-", "-"]  # saved by hand, never trained
    page = (tmp_path / "comparison.html").read_text()
    assert page.count("<img ") == 1 and "against its FLOPs per byte" in page

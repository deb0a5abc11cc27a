"""`neat patch` end to end, and the plugin's promise not to import torch early."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from neat_core.checkpoint import load_model, save_checkpoint
from neat_plugins.blt import compute_entropies

from .blt_util import (
    CORPUS,
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_config,
    tiny_model,
    train,
)

TEXT = CORPUS[:700]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    model = tiny_model()
    train(model, steps=40)
    return str(save_checkpoint(tmp_path_factory.mktemp("run") / "ckpt", model, tiny_config()))


@pytest.fixture
def neat_patch(run_cli):
    """`neat patch ARGS` on one torch thread (see one_torch_thread), in float32 like the
    API calls it is compared with."""
    return lambda *args, input=None: run_cli("patch", *args, "--set", "backend.cpu.threads=1",
                                             "--set", "backend.mixed_precision=off",
                                             input=input)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "input.txt"
    path.write_bytes(TEXT)
    return str(path)


def unmark(text: str) -> tuple[bytes, list[int]]:
    """Invert the text format: the bytes and the patch lengths."""
    pieces, current, i = [], bytearray(), 0
    escapes = {"\\": b"\\", "|": b"|", "t": b"\t", "r": b"\r"}
    while i < len(text):
        char = text[i]
        if char == "|":
            pieces.append(bytes(current))
            current = bytearray()
        elif char == "\\":
            code = text[i + 1]
            if code == "x":
                current.append(int(text[i + 2:i + 4], 16))
                i += 2
            elif code == "n":
                current += b"\n"
                i += 1  # the line break that follows
            else:
                current += escapes[code]
            i += 1
        else:
            current += char.encode()
        i += 1
    pieces.append(bytes(current))
    return b"".join(pieces), [len(p) for p in pieces]


def test_json_has_lengths_entropies_in_bits_and_a_summary(neat_patch, checkpoint, text_file):
    result = neat_patch(checkpoint, text_file, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["entropy_unit"] == "bits" and out["model"] == "blt-entropy"
    assert sum(out["patch_lengths"]) == len(TEXT)
    model, _ = load_model(checkpoint)
    np.testing.assert_allclose(out["entropies"], compute_entropies(model, TEXT), atol=1e-4)
    summary = out["summary"]
    assert summary["num_patches"] == len(out["patch_lengths"]) > 1
    assert summary["average_patch_size"] == pytest.approx(len(TEXT) / summary["num_patches"])
    assert out["patching"]["mode"] == "global" and out["patching"]["threshold"] == 2.0
    # boundaries follow the rule: a patch starts after each byte with H > threshold
    starts = np.cumsum(out["patch_lengths"])[:-1]
    assert starts.tolist() == (np.flatnonzero(np.array(out["entropies"][:-1]) > 2.0) + 1).tolist()


def test_text_marks_boundaries_and_round_trips(neat_patch, checkpoint, text_file):
    data = TEXT + b"a|b\\c\x00\xff\t\r"
    path = text_file.replace("input.txt", "tricky.bin")
    open(path, "wb").write(data)
    text = neat_patch(checkpoint, path).stdout
    as_json = json.loads(neat_patch(checkpoint, path, "--format", "json").stdout)
    raw, lengths = unmark(text.removesuffix("\n"))
    assert raw == data
    assert lengths == as_json["patch_lengths"]
    assert "\\|" in text and "\\x00" in text and "\\xff" in text


def test_stdin_with_dash_or_no_file(neat_patch, checkpoint, text_file):
    by_file = neat_patch(checkpoint, text_file, "--format", "json").stdout
    by_dash = neat_patch(checkpoint, "-", "--format", "json", input=TEXT.decode()).stdout
    implicit = neat_patch(checkpoint, "--format", "json", input=TEXT.decode()).stdout
    lengths = json.loads(by_file)["patch_lengths"]
    assert json.loads(by_dash)["patch_lengths"] == lengths == json.loads(implicit)["patch_lengths"]


def test_jsonl_gives_a_line_per_patch_then_a_summary(neat_patch, checkpoint, text_file):
    lines = [json.loads(line) for line in
             neat_patch(checkpoint, text_file, "--format", "jsonl").stdout.splitlines()]
    patches, summary = lines[:-1], lines[-1]
    assert summary["type"] == "summary" and summary["summary"]["num_patches"] == len(patches)
    assert [p["start"] for p in patches] == np.cumsum([0] + [p["length"] for p in
                                                             patches])[:-1].tolist()
    assert "".join(p["text"] for p in patches).encode() == TEXT
    assert all(len(p["entropies"]) == p["length"] for p in patches)


def test_target_patch_size_calibrates_the_threshold(neat_patch, checkpoint, text_file):
    out = json.loads(neat_patch(checkpoint, text_file, "--format", "json",
                             "--target-patch-size", "6").stdout)
    assert out["summary"]["average_patch_size"] == pytest.approx(6, rel=0.1)
    assert out["patching"]["target_patch_size"] == 6
    assert out["patching"]["threshold"] != 2.0


def test_modes_and_settings_come_from_flags_and_set(neat_patch, checkpoint, text_file):
    static = json.loads(neat_patch(checkpoint, text_file, "--format", "json",
                                "--mode", "static", "--set", "patching.patch_size=7").stdout)
    assert static["patch_lengths"] == [7] * 100  # 700 bytes
    capped = json.loads(neat_patch(checkpoint, text_file, "--format", "json",
                                "--threshold", "7.9",
                                "--set", "patching.max_patch_size=5").stdout)
    assert max(capped["patch_lengths"]) == 5


def test_binary_input_works(neat_patch, checkpoint, tmp_path):
    path = tmp_path / "all.bin"
    path.write_bytes(bytes(range(256)) * 2)
    out = json.loads(neat_patch(checkpoint, str(path), "--format", "json").stdout)
    assert sum(out["patch_lengths"]) == 512


@pytest.mark.parametrize("args, message", [
    (["missing-dir", "-"], "checkpoint not found"),
    (["{ckpt}", "{empty}"], "no bytes to patch"),
    (["{ckpt}", "no-such-file"], "cannot read no-such-file"),
    (["{ckpt}", "{text}", "--mode", "relative", "--threshold", "1"],
     "mode 'relative' does not use"),
    (["{ckpt}", "{text}", "--threshold", "1", "--target-patch-size", "4"],
     "both set the threshold"),
    (["{ckpt}", "{text}", "--set", "model.hidden_size=64"], "model.hidden_size is 64 here"),
    (["{ckpt}", "{text}", "--mode", "space", "--target-patch-size", "4"],
     "'space' has no threshold"),
])
def test_bad_input_exits_2_with_one_line(neat_patch, checkpoint, text_file, tmp_path, args,
                                         message):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    args = [a.format(ckpt=checkpoint, empty=empty, text=text_file) for a in args]
    result = neat_patch(*args)
    assert result.exit_code == 2, result.output
    assert re.search(message, result.stderr), result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")


def test_cli_start_up_and_plugin_imports_do_not_import_torch():
    code = ("import sys, neat_core, neat_plugins.blt, neat_plugins.blt.plugin, "
            "neat_plugins.blt.commands.patch\n"
            "from neat_core.cli import cli\n"
            "from click.testing import CliRunner\n"
            "result = CliRunner().invoke(cli, ['patch', '--help'])\n"
            "assert result.exit_code == 0 and 'FILE|-' in result.output, result.output\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)

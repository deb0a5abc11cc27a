"""Smaller papercuts of issue 25: binary training data gets a word, a BLT's entropy
settings are not named "blt", a preview cut mid-line ends in an ellipsis, and NO_COLOR
says that it turned colour off. (A closed pipe: tests/test_broken_pipe.py.)"""

from __future__ import annotations

import random

from .eval_helpers import tiny_blt
from .train_utils import CORPUS, set_args, tiny_settings


def binary_files(folder, count: int = 3, size: int = 20_000):
    """Files of random bytes, as executables and images look to a byte reader."""
    folder.mkdir()
    draw = random.Random(0)
    for index in range(count):
        (folder / f"program{index}").write_bytes(draw.randbytes(size))
    return folder


def test_training_on_binary_files_warns_and_text_does_not(run_cli, tmp_path):
    programs = binary_files(tmp_path / "bin")
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache", data__train=[str(programs)])
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 0, result.stderr
    assert (f"warning: data source '{programs}' is mostly binary, not text: 3 of its 3 "
            f"documents (60.0 kB of 60.0 kB) hold a NUL byte or invalid UTF-8") in result.stderr
    text = tiny_settings(tmp_path / "unused", tmp_path / "cache", data__train=[CORPUS])
    prepared = run_cli("data", "prepare", *set_args(text))
    assert prepared.exit_code == 0, prepared.stderr
    assert "mostly binary" not in prepared.stderr


def test_a_blts_entropy_settings_are_not_named_blt(run_cli):
    result = run_cli("config", "show", "--set", "model.name=blt")
    lines = {line.split("=")[0].strip(): line.split("=", 1)[1].strip()
             for line in result.stdout.splitlines() if "=" in line}
    assert lines["model.name"] == '"blt"'
    assert lines["model.entropy.name"] == '""'


def test_a_preview_cut_short_ends_in_an_ellipsis(run_cli, tmp_path, monkeypatch):
    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    long = tmp_path / "long.txt"
    long.write_text("".join(f"line {i} of a longer file\n" for i in range(100)))
    monkeypatch.setenv("NO_COLOR", "1")
    result = run_cli("analyze", str(tmp_path / "run"), "--data", str(long))
    assert result.exit_code == 0, result.stderr
    preview = result.stdout.split("Start of ", 1)[1].splitlines()
    assert preview[0].endswith("(800 bytes; | = patch start; no entropy shading: NO_COLOR "
                               "turned colour off)")
    assert preview[-1].endswith("…")  # the 800th byte is inside a line
    short = run_cli("analyze", str(tmp_path / "run"), "--text", "all of it")
    assert not short.stdout.rstrip().endswith("…")

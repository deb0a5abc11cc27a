"""Known causes get their own message, never 'unexpected ... please report it' or a hint
about something else (audit defects 8 and 13)."""

from __future__ import annotations

import builtins
import errno
import os

from neat_plugins.data import compression

from ..train_utils import error_line, set_args, tiny_settings


def test_out_of_memory_while_building_the_model_says_so(run_cli, tmp_path):
    # 256 x 10**12 float32 embeddings: no allocator can give that
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache",
                             model__hidden_size=10**12, model__num_heads=2)
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 1
    line = error_line(result)
    assert line.startswith("error: out of memory while building model 'blt-entropy'")
    assert "shrink it (a smaller model.hidden_size" in line
    assert "unexpected" not in line


def test_a_glob_of_only_fifos_says_so(run_cli, tmp_path):
    os.mkfifo(tmp_path / "data.txt")
    result = run_cli("data", "inspect", str(tmp_path / "*.txt"))
    assert result.exit_code == 2
    line = error_line(result)
    assert "matches only things that are not regular files" in line
    assert "FIFOs, sockets and devices are not read" in line and "hidden" not in line


def test_an_unreadable_small_file_is_unreadable_not_too_short(run_cli, tmp_path,
                                                              monkeypatch):
    data = tmp_path / "data.txt"
    data.write_text("tiny")
    if os.geteuid() == 0:  # root reads anything: make opening it fail as it would
        real_open = builtins.open

        def no_permission(file, *args, **kwargs):
            if str(file) == str(data):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(compression, "open", no_permission, raising=False)
    else:
        data.chmod(0)
    result = run_cli("train", *set_args(tiny_settings(tmp_path / "run", tmp_path / "cache",
                                                      data__train=[str(data)])))
    assert result.exit_code == 2
    assert f"cannot read {data}: Permission denied" in error_line(result)


def test_out_of_memory_anywhere_else_says_so(run_cli, monkeypatch):
    from neat_core.cli import config_cmd

    def exhausted(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: "
                           "can't allocate memory: you tried to allocate 123000000000 bytes. "
                           "Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(config_cmd, "dump_json", exhausted)
    result = run_cli("config", "show", "--json")
    assert result.exit_code == 1
    assert error_line(result).startswith("error: out of memory: tried to allocate 123.0 GB "
                                         "(hint: shrink the model")

"""neat_core.files: atomic, fsynced, symlink-safe writes and torn-proof records."""

from __future__ import annotations

import errno
import json
import logging
import os
import stat

import pytest

from neat_core import files
from neat_core.errors import EXIT_FAILURE, EXIT_USAGE
from neat_core.files import (
    DiskFullError,
    WriteError,
    append_record,
    atomic_write,
    check_writable_dir,
    check_writable_file,
    read_records,
    size_text,
)

from .faults.inject import write_faults  # noqa: F401 - fixture


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "out.json"
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["out.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_replaces_a_symlink_and_never_writes_its_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "config.json"
    link.symlink_to(victim)
    atomic_write(link, "new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_text() == "new"


def test_disk_full_keeps_the_old_file_and_names_path_and_size(tmp_path, write_faults):
    target = tmp_path / "out.txt"
    atomic_write(target, "old")
    write_faults.fail(at=write_faults.count)
    with pytest.raises(DiskFullError) as error:
        atomic_write(target, b"x" * 5000)
    assert error.value.exit_code == EXIT_FAILURE
    assert f"disk full: cannot write {target}: it needs 5.0 kB" in error.value.message
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]


def test_other_write_errors_are_usage_errors_naming_the_path(tmp_path, write_faults):
    write_faults.fail(at=0, error=errno.EROFS)
    with pytest.raises(WriteError, match="cannot write .*out.txt: Read-only file system") as e:
        atomic_write(tmp_path / "out.txt", "x")
    assert e.value.exit_code == EXIT_USAGE


def test_a_directory_in_the_way_is_an_error(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(WriteError, match="it is a directory"):
        atomic_write(tmp_path / "out", "x")
    assert os.listdir(tmp_path) == ["out"]


def test_records_append_and_read_back(tmp_path):
    path = tmp_path / "log.jsonl"
    for step in range(3):
        append_record(path, {"step": step})
    assert read_records(path) == [{"step": 0}, {"step": 1}, {"step": 2}]
    assert read_records(tmp_path / "missing.jsonl") == []


def test_a_torn_last_record_is_dropped_on_read_and_cut_on_append(tmp_path, caplog):
    path = tmp_path / "log.jsonl"
    append_record(path, {"step": 1, "loss": 2.5})
    with open(path, "ab") as handle:
        handle.write(b'{"step": 2, "lo')  # what a write cut short leaves
    with caplog.at_level(logging.WARNING, logger="neat"):
        assert read_records(path) == [{"step": 1, "loss": 2.5}]
    assert f"{path} ends in a partial record" in caplog.text
    append_record(path, {"step": 2, "loss": 2.0})
    assert path.read_text().splitlines() == ['{"step": 1, "loss": 2.5}',
                                             '{"step": 2, "loss": 2.0}']


def test_a_record_cut_short_by_a_full_disk_leaves_nothing_behind(tmp_path, write_faults):
    path = tmp_path / "log.jsonl"
    append_record(path, {"step": 1})
    write_faults.fail(at=write_faults.count)
    with pytest.raises(DiskFullError, match=f"cannot write {path}"):
        append_record(path, {"step": 2, "text": "x" * 100})
    assert path.read_text() == '{"step": 1}\n'


def test_a_damaged_line_in_the_middle_is_skipped_with_its_line_number(tmp_path, caplog):
    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 1}\n\x00\x00garbage\n[1, 2]\n{"step": 3}\n')
    with caplog.at_level(logging.WARNING, logger="neat"):
        assert read_records(path) == [{"step": 1}, {"step": 3}]
    assert f"{path}:2 is not a JSON record" in caplog.text
    assert f"{path}:3 is not a JSON record" in caplog.text


def test_appending_to_a_symlink_replaces_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "metrics.jsonl"
    link.symlink_to(victim)
    append_record(link, {"step": 1})
    assert victim.read_text() == "precious\n"
    assert not link.is_symlink() and read_records(link) == [{"step": 1}]


def test_appending_to_something_that_is_not_a_file_is_refused(tmp_path):
    fifo = tmp_path / "metrics.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match="not a regular file"):
        append_record(fifo, {"step": 1})


def test_writable_checks(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError, match="is a file, not a directory"):
        check_writable_dir(tmp_path / "file")
    with pytest.raises(WriteError, match="is a directory"):
        check_writable_file(tmp_path)
    unwritable = "/proc/neat-out" if os.geteuid() == 0 else "/"
    with pytest.raises(WriteError, match="not writable"):
        check_writable_dir(unwritable)
    assert check_writable_dir(tmp_path / "new" / "dir").is_dir()


@pytest.mark.parametrize("count, text", [(999, "999 bytes"), (1500, "1.5 kB"),
                                         (2_000_000, "2.0 MB"), (3 * 10**12, "3.0 TB")])
def test_size_text(count, text):
    assert size_text(count) == text


def test_the_json_of_records_is_one_line_each(tmp_path):
    path = tmp_path / "log.jsonl"
    append_record(path, {"text": "two\nlines"})
    assert len(path.read_text().splitlines()) == 1
    assert json.loads(path.read_text()) == {"text": "two\nlines"}


def test_every_write_goes_through_write_all(tmp_path, write_faults):
    atomic_write(tmp_path / "a", "x")
    append_record(tmp_path / "b", {"a": 1})
    with files.atomic_writer(tmp_path / "c") as handle:
        handle.write(b"0" * files._Writer.BUFFER)  # a big write goes through at once
        handle.write(b"1")
        handle.write(b"2")  # small ones are gathered: one write_all for both
    assert write_faults.count == 4
    assert (tmp_path / "c").read_bytes().endswith(b"012")

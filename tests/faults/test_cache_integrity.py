"""The byte cache you can rely on (issue 23, items 8, 9, 10 and 14): damage is found and
rebuilt with a warning, a same-size rewrite of a source is noticed, a changed source
shows as stale, a full disk is reported as one, and what a killed ingest left is
removed even when its source changed since."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from neat_core import files
from neat_core.data import build_corpora
from neat_core.data.store import HEADER_SIZE

from ..test_data import docs_dir, make_config, write
from .inject import WriteFaults

linux_only = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="names written files through /proc (Linux)")


def corpora(cache: Path, source: Path, seed: int = 0):
    return build_corpora(make_config(cache, train=[str(source)], seed=seed), block_size=16)


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_bytes_flipped_in_a_split_cache_are_found_and_rebuilt(tmp_path, caplog):
    source = docs_dir(tmp_path / "docs")
    expected = bytes(corpora(tmp_path / "cache", source).train.array)
    (split,) = (tmp_path / "cache").glob("train-*.bytes")
    flip(split, HEADER_SIZE + 1000)
    again = corpora(tmp_path / "cache", source)
    assert bytes(again.train.array) == expected
    assert f"byte cache {split} is damaged (its checksum differs" in caplog.text
    assert "rebuilding it" in caplog.text


def test_a_damaged_source_cache_is_rebuilt_when_a_split_is_cut_from_it(tmp_path, caplog):
    source = docs_dir(tmp_path / "docs")
    corpora(tmp_path / "cache", source, seed=1)
    (body,) = (tmp_path / "cache").glob("source-*.bytes")
    flip(body, HEADER_SIZE + 10)
    expected = bytes(corpora(tmp_path / "reference", source, seed=2).train.array)
    assert bytes(corpora(tmp_path / "cache", source, seed=2).train.array) == expected
    assert f"byte cache {body} is damaged" in caplog.text


def test_a_same_size_corruption_of_a_source_index_is_rebuilt(tmp_path, caplog):
    source = docs_dir(tmp_path / "docs")
    corpora(tmp_path / "cache", source)
    (index,) = (tmp_path / "cache").glob("source-*.index")
    rows = np.fromfile(index, dtype="<i8")
    rows[1] = 1 << 40  # the first document now ends far past the cache's end
    rows.tofile(index)
    reference = corpora(tmp_path / "reference", source, seed=5)
    again = corpora(tmp_path / "cache", source, seed=5)  # a new split: read from the index
    assert bytes(again.train.array) == bytes(reference.train.array)
    assert f"byte cache {index.with_suffix('.bytes')} is damaged" in caplog.text


def test_a_same_size_rewrite_that_keeps_the_mtime_is_noticed(tmp_path):
    source = docs_dir(tmp_path / "docs")
    first = bytes(corpora(tmp_path / "cache", source).train.array)
    target = sorted(source.iterdir())[3]
    info = target.stat()
    target.write_bytes(b"Z" * info.st_size)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    again = bytes(corpora(tmp_path / "cache", source).train.array)
    assert again != first and b"Z" * 300 in again


def test_a_changed_source_shows_as_stale(tmp_path, run_cli):
    source = docs_dir(tmp_path / "docs")
    cache = f"data.cache_dir={tmp_path / 'cache'}"
    assert run_cli("data", "prepare", str(source), "--set", cache).exit_code == 0
    with open(sorted(source.iterdir())[0], "ab") as handle:
        handle.write(b"more")
    result = run_cli("data", "inspect", str(source), "--json", "--set", cache)
    report = json.loads(result.stdout)
    assert report["sources"][0]["cache"]["state"] == "stale"
    assert report["splits"]["train"]["cache"]["state"] == "stale"


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_what_a_killed_ingest_left_is_removed_after_its_source_changed(tmp_path):
    source = docs_dir(tmp_path / "docs")
    cache = tmp_path / "cache"
    corpora(cache, source)
    (old,) = cache.glob("source-*.bytes")
    pid = dead_pid()
    leftovers = [cache / f".{old.stem}{suffix}.{pid}.tmp" for suffix in
                 (".bytes", ".index", ".names", ".json")]
    for path in leftovers:
        path.write_bytes(b"x" * 4096)
    write(source / "doc99.txt", b"a new document " * 30)  # the spec's key changes
    corpora(cache, source)
    assert not [path for path in leftovers if path.exists()]
    assert not list(cache.glob(".*.tmp"))


def fail_writes_to(monkeypatch: pytest.MonkeyPatch, pattern: str) -> list[str]:
    """The first write to a file whose temporary name matches ``pattern`` fails as a
    full disk does; returns the names that failed."""
    real, failed = files.write_all, []

    def write_all(fd, data):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if not failed and re.search(pattern, name):
            failed.append(name)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(files, "write_all", write_all)
    return failed


@linux_only
def test_a_full_disk_during_ingest_is_a_disk_full_error(tmp_path, run_cli, monkeypatch):
    source = write(tmp_path / "docs/big.txt", b"big text " * (400 << 10))  # 3.7 MB
    write(tmp_path / "docs/small.txt", b"small text " * 100)
    faults = WriteFaults(monkeypatch)
    faults.fail(at=0)
    result = run_cli("data", "prepare", str(source.parent), "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 1, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert re.match(rf"error: disk full: cannot write {tmp_path / 'cache'}/source-\w+\.bytes: "
                    rf"it needs 3\.\d MB, [\d.]+ \w+ free \(hint: free some space", line), line
    assert not list((tmp_path / "cache").glob(".*.tmp"))


@linux_only
def test_a_full_disk_while_a_split_is_cut_names_the_split_and_its_size(tmp_path, run_cli,
                                                                       monkeypatch):
    source = docs_dir(tmp_path / "docs", count=40, size=2000)
    failed = fail_writes_to(monkeypatch, r"^\.train-.*\.names\.")
    result = run_cli("data", "prepare", str(source), "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    assert failed and result.exit_code == 1, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert re.match(rf"error: disk full: cannot write {tmp_path / 'cache'}/train-\w+\.bytes: "
                    rf"it needs [78]\d\.\d kB, [\d.]+ \w+ free", line), line

"""Decompression bombs and hostile records (issue 23, items 2, 3, 6 and 14): memory stays
bounded whatever an input decompresses to or however long or deep a record is; a bad
record is skipped and counted, trailing garbage after any codec's stream is refused.

Bombs here are small (memory is bounded per chunk, so the bound shows at any size);
``benchmarks/bench_data_memory.py --bombs`` measures them at 1 GiB.
"""

from __future__ import annotations

import bz2
import json
import lzma
import sys
import tracemalloc

import pytest
import zstandard

from neat_core.api import Tally
from neat_core.data import read_documents
from neat_core.errors import DataError
from neat_plugins.data.compression import decompressed_chunks

from ..test_data import make_config, write
from .hostile import BOMBS, MIB, bomb, run_measured


def peak_while(consume) -> int:
    """Peak bytes Python allocated while ``consume()`` ran."""
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("codec", sorted(BOMBS))
def test_a_bomb_of_any_codec_decompresses_a_chunk_at_a_time(tmp_path, codec):
    size = 24 * MIB
    path = bomb(tmp_path / f"bomb.{codec}", codec, size)
    seen = []
    peak = peak_while(lambda: seen.append(sum(map(len, decompressed_chunks(path, codec,
                                                                            Tally())))))
    assert seen == [size]
    assert peak < 8 * MIB, f"{codec}: {peak / MIB:.0f} MiB held for a {size // MIB} MiB bomb"


def test_data_inspect_of_a_zstd_bomb_stays_small(tmp_path):
    """The command as a user runs it, its peak resident memory from the kernel."""
    path = bomb(tmp_path / "data/bomb.txt.zst", "zstd", 256 * MIB)
    code, stderr, peak = run_measured(["data", "inspect", str(path.parent),
                                       "--set", f"data.cache_dir={tmp_path / 'cache'}"],
                                      tmp_path)
    assert code == 2, stderr  # a single document leaves nothing to evaluate on
    assert "1 documents   268.4 MB" in (tmp_path / "child.out").read_text()
    assert peak < 150e6, f"neat data inspect peaked at {peak / 1e6:.0f} MB"


def test_a_json_line_longer_than_max_record_bytes_is_skipped_and_counted(tmp_path):
    long_line = json.dumps({"text": "x" * (24 * MIB)}).encode()
    lines = [b'{"text": "first"}', long_line, b'{"text": "third"}']
    path = write(tmp_path / "docs.jsonl.zst",
                 zstandard.ZstdCompressor(level=1).compress(b"\n".join(lines) + b"\n"))
    config = make_config(max_record_bytes=MIB)
    found: list = []
    peak = peak_while(lambda: found.extend(read_documents(config, [str(path)])))
    assert [data for _, data in found] == [b"first", b"third"]
    assert peak < 8 * MIB, f"{peak / MIB:.0f} MiB held for a {len(long_line) // MIB} MiB line"


def test_a_long_line_is_counted_as_a_bad_record_by_ingest(tmp_path, run_cli):
    path = write(tmp_path / "docs.jsonl", b'{"text": "%s"}\n' % (b"y" * 5000) +
                 b"".join(b'{"text": "doc %d"}\n' % i for i in range(20)))
    result = run_cli("data", "inspect", str(path), "--json", "--set",
                     "data.max_record_bytes=4096", "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    source = json.loads(result.stdout)["sources"][0]
    assert (source["documents"], source["bad_records"]) == (20, 1), result.output
    assert "longer than data.max_record_bytes (4096 bytes)" in source["bad_examples"][0]


def test_a_deeply_nested_json_line_is_a_bad_record(tmp_path):
    deep = b"[" * 200_000 + b"]" * 200_000
    path = write(tmp_path / "docs.jsonl", b'{"text": "a"}\n' + deep + b'\n{"text": "b"}\n'
                 + b'{"text": {"x": ' * 3000 + b'1' + b"}" * 3000 + b"\n")
    assert [data for _, data in read_documents(make_config(), [str(path)])] == [b"a", b"b"]


def test_a_deep_json_line_is_reported_with_its_number(tmp_path, run_cli):
    path = write(tmp_path / "docs.jsonl", b"".join(b'{"text": "doc %d"}\n' % i
                                                    for i in range(20)) + b"[" * 50_000 + b"\n")
    result = run_cli("data", "inspect", str(path), "--json", "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    source = json.loads(result.stdout)["sources"][0]
    assert source["bad_records"] == 1, result.output
    assert f"{path}:21: nested deeper than" in source["bad_examples"][0]


@pytest.mark.parametrize("codec, compress", [("bz2", bz2.compress), ("xz", lzma.compress)])
def test_trailing_garbage_after_a_stream_is_refused(tmp_path, codec, compress):
    path = write(tmp_path / f"doc.txt.{codec}", compress(b"real text\n" * 50) + b"garbage!")
    with pytest.raises(DataError, match=rf"cannot decompress {path} \({codec}\): it is "
                                        r"damaged \(.*after its last stream"):
        read_documents(make_config(), [str(path)])


@pytest.mark.parametrize("codec, compress", [("bz2", bz2.compress), ("xz", lzma.compress)])
def test_concatenated_streams_are_still_read_whole(tmp_path, codec, compress):
    path = write(tmp_path / f"doc.txt.{codec}", compress(b"one\n") + compress(b"two\n"))
    assert read_documents(make_config(), [str(path)]) == [(str(path), b"one\ntwo\n")]


if sys.platform != "linux":  # ru_maxrss is in kilobytes on Linux only
    test_data_inspect_of_a_zstd_bomb_stays_small = pytest.mark.skip(
        reason="peak memory read in Linux units")(test_data_inspect_of_a_zstd_bomb_stays_small)

"""Parquet and Arrow columns that are not text (issue 23, item 6): a column of numbers,
lists or booleans is refused with one line naming it and its type (exit 2), never read
as bytes; a value longer than ``data.max_record_bytes`` is skipped and counted."""

from __future__ import annotations

import json

import pytest

from neat_core.data import read_documents

from ..test_data import make_config

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")


@pytest.mark.parametrize("values, type_name", [
    ([1000, 7, 3, 1], "int64"),
    ([[1, 2], [3], [], [4]], "list<"),
    ([True, False, True, True], "bool"),
    ([1e11, 2.0, 3.0, 4.0], "double"),
])
@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_column_that_is_not_text_is_refused(tmp_path, run_cli, values, type_name, kind):
    table = pa.table({"text": values})
    path = tmp_path / f"t.{kind}"
    (pq.write_table if kind == "parquet" else feather.write_feather)(table, path)
    result = run_cli("data", "inspect", str(path), "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 2, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {path}: column 'text' holds {type_name}"), line
    assert ", not text or binary (hint: set data.arrow.column to a string or binary " \
           "column" in line


def test_dictionary_encoded_text_is_read(tmp_path):
    table = pa.table({"text": pa.array(["a", "b", "a", "c"]).dictionary_encode()})
    feather.write_feather(table, tmp_path / "t.arrow")
    found = read_documents(make_config(), [str(tmp_path / "t.arrow")])
    assert [data for _, data in found] == [b"a", b"b", b"a", b"c"]


def test_a_value_longer_than_max_record_bytes_is_skipped_and_counted(tmp_path, run_cli):
    texts = ["short"] * 10 + ["z" * 5000] + ["tail"] * 10
    pq.write_table(pa.table({"text": texts}), tmp_path / "t.parquet")
    pq.write_table(pa.table({"text": pa.array([t.encode() for t in texts])}),
                   tmp_path / "b.parquet")
    for name in ("t.parquet", "b.parquet"):
        result = run_cli("data", "inspect", str(tmp_path / name), "--json", "--set",
                         "data.max_record_bytes=4096", "--set",
                         f"data.cache_dir={tmp_path / 'cache'}")
        source = json.loads(result.stdout)["sources"][0]
        assert (source["documents"], source["bad_records"]) == (20, 1), result.output
        assert source["bad_examples"][0].startswith(f"{tmp_path / name}#10: ")
        assert "longer than data.max_record_bytes (4096 bytes)" in source["bad_examples"][0]

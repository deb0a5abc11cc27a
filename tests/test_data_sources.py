"""The built-in data sources: compressed files, JSON lines, Parquet/Arrow and saved
Hugging Face datasets; how specs reach sources; bad archives and bad records."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import sys
from pathlib import Path

import pytest
import zstandard

from neat_core.data import build_corpora, read_documents
from neat_core.errors import DataError, UsageError

from .test_data import make_config, write

TEXT = ("Byte-level models read text as bytes. " * 40).encode() + "ünïcödé\n".encode()
CODECS = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
          "zstd": lambda data: zstandard.ZstdCompressor().compress(data)}


def docs(*sources: str | Path, **fields) -> list[tuple[str, bytes]]:
    return read_documents(make_config(**fields), [str(s) for s in sources])


# --- compressed files ------------------------------------------------------------------------

@pytest.mark.parametrize("codec", sorted(CODECS))
def test_a_compressed_file_gives_the_documents_of_the_uncompressed_file(tmp_path, codec):
    plain = write(tmp_path / "plain/doc.txt", TEXT)
    packed = write(tmp_path / "packed/doc.txt", CODECS[codec](TEXT))  # named like text
    assert [d for _, d in docs(packed)] == [d for _, d in docs(plain)] == [TEXT]
    data = make_config(tmp_path / "cache", train=[str(packed)], eval=[str(plain)],
                       separator="none")
    corpora = build_corpora(data, block_size=16)
    assert bytes(corpora.train.array) == bytes(corpora.eval.array) == TEXT


def test_compression_is_recognised_by_content_not_by_name(tmp_path):
    looks_compressed = write(tmp_path / "notes.gz", b"BZh is how this note starts\n")
    assert docs(looks_compressed) == [(str(looks_compressed), b"BZh is how this note starts\n")]
    packed = write(tmp_path / "packed.txt", gzip.compress(TEXT))
    assert docs(packed) == [(str(packed), TEXT)]


def test_decompression_can_be_turned_off(tmp_path):
    packed = write(tmp_path / "packed.gz", gzip.compress(TEXT))
    assert docs(packed, files={"decompress": False}) == [(str(packed), packed.read_bytes())]


def test_concatenated_streams_and_frames_are_read_whole(tmp_path):
    for codec in ("gzip", "zstd"):
        path = write(tmp_path / f"two.{codec}", CODECS[codec](TEXT) + CODECS[codec](b"tail"))
        assert docs(path) == [(str(path), TEXT + b"tail")]


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_archive_is_a_one_line_error_naming_the_file(tmp_path, run_cli, codec,
                                                                damage):
    packed = CODECS[codec](TEXT * 50)
    if damage == "truncated":
        packed = packed[:len(packed) // 2]
    else:
        middle = len(packed) // 2
        packed = packed[:middle] + bytes(b ^ 0x5A for b in packed[middle:middle + 64]) + \
            packed[middle + 64:]
    path = write(tmp_path / "data" / f"broken.{codec}", packed)
    result = run_cli("data", "inspect", str(tmp_path / "data"),
                     "--set", f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot decompress ") and str(path) in result.stderr
    assert result.stderr.count("\n") == 1
    if damage == "truncated":
        assert "truncated" in result.stderr
    trained = run_cli("data", "prepare", str(tmp_path / "data"),
                      "--set", f"data.cache_dir={tmp_path / 'cache'}")
    assert trained.exit_code == 2 and str(path) in trained.stderr
    assert not list((tmp_path / "cache").glob("source-*"))  # nothing half-written kept


# --- JSON lines ------------------------------------------------------------------------------

JSONL_LINES = [
    json.dumps({"body": "first document", "id": 1}),
    "this is not JSON",
    json.dumps({"id": 3}),
    "",
    json.dumps({"body": 42}),
    json.dumps({"body": "second ünïcödé document"}),
    json.dumps(["a", "list"]),
    json.dumps({"body": ""}),
]


def jsonl(path: Path, lines: list[str] = JSONL_LINES, codec: str | None = None) -> Path:
    data = "\n".join(lines).encode() + b"\n"
    return write(path, CODECS[codec](data) if codec else data)


def test_jsonl_reads_the_configured_field_and_counts_bad_lines(tmp_path, run_cli, caplog):
    path = jsonl(tmp_path / "corpus/part.jsonl")
    found = docs(path, jsonl={"field": "body"})
    assert found == [(f"{path}:1", b"first document"),
                     (f"{path}:6", "second ünïcödé document".encode())]
    assert "4 bad records skipped" in caplog.text
    result = run_cli("data", "inspect", str(path), "--json", "--set", "data.jsonl.field=body",
                     "--set", f"data.cache_dir={tmp_path / 'cache'}", "--set",
                     "data.eval_fraction=0.5")
    report = json.loads(result.stdout)
    [source] = report["sources"]
    assert source["kinds"] == {"jsonl": 1} and source["documents"] == 2
    assert source["bad_records"] == 4 and source["empty_documents"] == 1
    assert source["bad_examples"] == [
        f"{path}:2: not JSON (Expecting value: line 1 column 1 (char 0))",
        f"{path}:3: no field 'body'", f"{path}:5: field 'body' holds int, not a string",
        f"{path}:7: the line is not a JSON object"]
    assert source["stored_bytes"] == path.stat().st_size
    assert source["bytes"] == len(b"first document") + len("second ünïcödé document".encode())
    text = run_cli("data", "inspect", str(path), "--set", "data.jsonl.field=body").stdout
    assert "4 bad records skipped" in text and f"bad: {path}:2: not JSON" in text


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_compressed_jsonl_equals_plain_jsonl(tmp_path, codec):
    plain = jsonl(tmp_path / "plain.jsonl")
    packed = jsonl(tmp_path / f"packed.jsonl.{codec}", codec=codec)
    read = [d for _, d in docs(packed, jsonl={"field": "body"})]
    assert read == [d for _, d in docs(plain, jsonl={"field": "body"})] and len(read) == 2


def test_jsonl_nested_field_and_the_default_text_field(tmp_path):
    path = jsonl(tmp_path / "nested.ndjson", [json.dumps({"meta": {"body": "deep"}}),
                                              json.dumps({"text": "top"})])
    assert [d for _, d in docs(path, jsonl={"field": "meta.body"})] == [b"deep"]
    assert [d for _, d in docs(path)] == [b"top"]


def test_a_source_with_only_bad_records_is_an_error_naming_them(tmp_path):
    path = jsonl(tmp_path / "only-bad.jsonl", [json.dumps({"content": "x"})] * 3)
    with pytest.raises(DataError, match=r"no usable documents: 3 bad records skipped "
                                        r"\(first: .*only-bad.jsonl:1: no field 'text'\)"):
        build_corpora(make_config(tmp_path / "cache", train=[str(path)], eval=[str(path)]),
                      block_size=4)


def test_jsonl_patterns_decide_which_files_are_json_lines(tmp_path):
    path = jsonl(tmp_path / "records.txt", [json.dumps({"text": "hello"})])
    assert docs(path) == [(str(path), path.read_bytes())]  # a .txt file: raw
    assert [d for _, d in docs(path, jsonl={"patterns": ["*.txt"]})] == [b"hello"]
    assert [d for _, d in docs(f"jsonl:{path}")] == [b"hello"]  # named in the spec


# --- how specs reach sources ---------------------------------------------------------------

def test_a_directory_mixes_kinds_file_by_file(tmp_path):
    jsonl(tmp_path / "mixed/a.jsonl.gz", [json.dumps({"text": "from json"})], codec="gzip")
    write(tmp_path / "mixed/b.txt.xz", CODECS["xz"](b"from xz"))
    write(tmp_path / "mixed/c.txt", b"plain")
    assert [d for _, d in docs(tmp_path / "mixed")] == [b"from json", b"from xz", b"plain"]


def test_a_path_claimed_by_two_sources_is_an_error_naming_both(tmp_path):
    path = write(tmp_path / "x.parquet", b"PAR1")
    with pytest.raises(DataError, match=r"x.parquet is claimed by the data sources arrow "
                                        r"and jsonl"):
        docs(path, jsonl={"patterns": ["*"]})


# --- Parquet, Arrow and saved Hugging Face datasets -----------------------------------------

ROWS = ["first row", "second ünïcödé row", None, "fourth row"]


def test_parquet_and_arrow_files_give_one_document_per_row(tmp_path, caplog):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather
    import pyarrow.parquet

    table = pa.table({"id": list(range(4)), "content": ROWS})
    pyarrow.parquet.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    pyarrow.feather.write_feather(table, tmp_path / "t.arrow")
    expected = [r.encode() for r in ROWS if r is not None]
    for name in ("t.parquet", "t.arrow"):
        found = docs(tmp_path / name, arrow={"column": "content"})
        assert [d for _, d in found] == expected
        assert found[0][0] == f"{tmp_path / name}#0"
    assert "1 bad records skipped" in caplog.text and "'content' is null" in caplog.text
    with pytest.raises(DataError) as info:
        docs(tmp_path / "t.parquet")
    assert re.search(r"has no column 'text' .*columns: id, content", info.value.one_line())


def test_a_datasets_save_to_disk_directory_is_read(tmp_path):
    datasets = pytest.importorskip("datasets")
    texts = [f"document number {i} " * 3 for i in range(30)]
    dataset = datasets.Dataset.from_dict({"text": texts, "n": list(range(30))})
    dataset.save_to_disk(str(tmp_path / "saved"), max_shard_size="1KB")
    assert len(list((tmp_path / "saved").glob("*.arrow"))) > 1  # several shards
    found = docs(tmp_path / "saved")
    assert [d.decode() for _, d in found] == texts
    corpora = build_corpora(make_config(tmp_path / "cache", train=[str(tmp_path / "saved")]),
                            block_size=16)
    assert len(corpora.train.documents) + len(corpora.eval.documents) == 30
    datasets.DatasetDict({"train": dataset, "test": dataset}).save_to_disk(
        str(tmp_path / "dict"))
    with pytest.raises(DataError) as info:
        docs(tmp_path / "dict")
    assert re.search(r"saved DatasetDict with the splits train, test: name one .*dict/train",
                     info.value.one_line())
    assert len(docs(tmp_path / "dict" / "test")) == 30


def test_without_pyarrow_the_error_names_the_extra(tmp_path, monkeypatch, run_cli):
    write(tmp_path / "t.parquet", b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(UsageError) as info:
        docs(tmp_path / "t.parquet")
    assert re.search(r"needs pyarrow.*neat-entropy\[arrow\]", info.value.one_line())
    result = run_cli("data", "inspect", str(tmp_path / "t.parquet"))
    assert result.exit_code == 2 and "neat-entropy[arrow]" in result.stderr

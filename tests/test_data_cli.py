"""``neat data inspect``: files, bytes, text vs binary, splits and cache state."""

from __future__ import annotations

import json
import os
from pathlib import Path

from neat_core.config import load_config
from neat_core.data import build_corpora

TEXT = "héllo wörld\n".encode() * 100  # valid UTF-8 with multi-byte characters
BINARY = bytes(range(256)) * 4


def corpus_dir(root: Path) -> Path:
    for i in range(6):
        (root / f"text{i}.txt").parent.mkdir(parents=True, exist_ok=True)
        (root / f"text{i}.txt").write_bytes(TEXT)
    (root / "blob.bin").write_bytes(BINARY)
    (root / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1") * 10)  # not UTF-8
    (root / "empty.txt").write_bytes(b"")
    return root


def write_config(path: Path, **data) -> Path:
    path.write_text(json.dumps({"schema_version": 1, "data": data}))
    return path


def test_inspect_json_counts_files_bytes_text_and_binary(tmp_path, run_cli):
    root = corpus_dir(tmp_path / "corpus")
    result = run_cli("data", "inspect", str(root), "--json", "--files",
                     "--set", f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [source] = report["sources"]
    assert source["documents"] == 8 and source["empty_documents"] == 1
    assert source["bytes"] == source["stored_bytes"] == 6 * len(TEXT) + len(BINARY) + 50
    assert source["text_bytes"] == 6 * len(TEXT)
    assert source["binary_documents"] == 2 and source["binary_bytes"] == len(BINARY) + 50
    assert source["kinds"] == {"raw": 9} and source["bad_records"] == 0
    assert source["cache"]["state"] == "missing"
    text = {Path(f["name"]).name: f["text_documents"] for f in source["files"]}
    assert text == {**{f"text{i}.txt": 1 for i in range(6)}, "blob.bin": 0,
                    "latin1.txt": 0, "empty.txt": 0}
    assert report["splits"]["train"]["cache"]["state"] == "missing"
    assert report["splits"]["eval"]["documents"] == 1  # 5%, but at least one document


def test_inspect_reads_the_config_and_shows_the_cache_state(tmp_path, run_cli):
    root = corpus_dir(tmp_path / "corpus")
    cache = tmp_path / "cache"
    config = write_config(tmp_path / "neat.json", train=[str(root)], cache_dir=str(cache))

    def states() -> dict[str, str]:
        result = run_cli("data", "inspect", "-c", str(config), "--json")
        assert result.exit_code == 0, result.output
        return {k: v["cache"]["state"] for k, v in json.loads(result.stdout)["splits"].items()}

    assert states() == {"train": "missing", "eval": "missing"}
    build_corpora(load_config(config).config, block_size=32)
    assert states() == {"train": "built", "eval": "built"}
    train_file = next(Path(d) for d in sorted(root.iterdir()))
    os.utime(train_file, ns=(0, train_file.stat().st_mtime_ns + 10**9))
    assert "stale" in states().values()

    text = run_cli("data", "inspect", "-c", str(config)).stdout
    assert str(root) in text and "text " in text and "cache stale" in text
    assert "cache missing" not in text  # the changed source is stale, not missing
    assert run_cli("data", "prepare", "-c", str(config)).exit_code == 0
    assert "cache built" in run_cli("data", "inspect", "-c", str(config)).stdout
    assert "stale" not in run_cli("data", "inspect", "-c", str(config)).stdout


def test_inspect_defaults_to_the_builtin_corpus(tmp_path, run_cli):
    result = run_cli("data", "inspect", "--set", f"data.cache_dir={tmp_path}")
    assert result.exit_code == 0, result.output
    assert "builtin:python-stdlib" in result.stdout and "text 100.0%" in result.stdout


def test_inspect_exits_2_with_one_line_for_bad_sources(tmp_path, run_cli):
    result = run_cli("data", "inspect", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: data source ") and "does not exist" in result.stderr
    assert result.stderr.count("\n") == 1

    single = tmp_path / "one.txt"
    single.write_bytes(b"x" * 100)
    result = run_cli("data", "inspect", str(single), "--set", f"data.cache_dir={tmp_path}")
    assert result.exit_code == 2 and "evaluation split would be empty" in result.stderr
    assert "one.txt" in result.stdout  # the sources are still shown

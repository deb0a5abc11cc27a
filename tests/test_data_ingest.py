"""Ingest: progress, interruption and restart, a third-party data source installed as a
package, and training on a Pile-style directory of .jsonl.zst (the issue's "done when")."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
import zstandard

import neat_core
from neat_core.data import ingest

from .blt_util import one_torch_thread  # noqa: F401 - autouse fixture
from .plugin_dists import install, make_distribution
from .train_utils import NEAT, set_args, subprocess_env, tiny_settings

# A third-party distribution: a kind of file (*.rev, read reversed) and a scheme
# (slow:N, N documents that take a while each). With SLOW_SIGNAL=NAME:INDEX in its
# environment, the process sends itself that signal as it reads document INDEX, so an
# ingest is interrupted mid-way by construction.
SOURCES = '''
import os
import signal
import time
from pathlib import Path

from neat_core import hookimpl
from neat_core.api import DataUnit, SourceDocument
from neat_core.data import list_paths


class Reversed:
    def __init__(self, config):
        pass

    def accepts(self, path):
        return path.suffix == ".rev"

    def units(self, target, seed):
        def unit(path):
            def read(tally):
                data = path.read_bytes()
                tally.advance(len(data))
                yield SourceDocument(str(path), [data[::-1]], len(data))
            return DataUnit(str(path), "reversed", [str(path), path.stat().st_mtime_ns],
                            path.stat().st_size, read)
        return [unit(path) for path in list_paths(target)]


class Slow:
    def __init__(self, config):
        pass

    def accepts(self, path):
        return False

    def units(self, target, seed):
        count = int(target)
        name, _, at = os.environ.get("SLOW_SIGNAL", ":-1").partition(":")

        def read(tally):
            for index in range(count):
                if index == int(at):
                    signal.raise_signal(getattr(signal, name))
                time.sleep(0.02)
                tally.advance(1000)
                yield SourceDocument(f"slow#{index}", [b"slow bytes " * 100])
        return [DataUnit(f"slow:{count}", "slow", ["slow", count], 1000 * count, read)]


@hookimpl
def register_data_sources(register):
    register("reversed", Reversed, description="*.rev files, read backwards")
    register("slow", Slow, description="slow:N, N slowly generated documents")
'''


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    root = make_distribution(tmp_path / "dist", "neat-thirdparty-sources",
                             {"neat_thirdparty_sources": SOURCES},
                             {"sources": "neat_thirdparty_sources"})
    install(monkeypatch, root)
    neat_core.reset_plugins()
    return root


def test_a_third_party_source_is_listed_and_trains(third_party, tmp_path, run_cli):
    listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json").stdout)}
    assert listed["sources"]["registered"]["data_sources"] == ["reversed", "slow"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (Path(json.__file__).parent / "decoder.py").read_bytes()
    for i in range(4):
        (corpus / f"part{i}.rev").write_bytes(text[::-1])
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache",
                             data__train=[str(corpus)])
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 0, result.stderr
    assert "trained to step 4" in result.stdout
    report = json.loads(run_cli("data", "inspect", "--json", *set_args(settings)).stdout)
    [source] = report["sources"]
    assert source["kinds"] == {"reversed": 4} and source["cache"]["state"] == "built"
    train = report["splits"]["train"]
    cache = Path(train["cache"]["path"])
    assert text[:200] in cache.read_bytes()  # the documents as the source gives them


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_ctrl_c_during_ingest_keeps_no_cache_and_a_rerun_ingests_again(
        third_party, tmp_path):
    cache = tmp_path / "cache"
    command = [NEAT, "data", "prepare", "slow:200", *set_args({
        "data.cache_dir": str(cache), "data.eval": ["slow:5"], "run.progress": False})]
    process = subprocess.run(command, env={**subprocess_env(), "SLOW_SIGNAL": "SIGINT:20",
                                           "PYTHONPATH": str(third_party)},
                             capture_output=True, text=True, timeout=120)
    stderr = process.stderr  # Ctrl-C came as document 20 of 200 was read
    assert process.returncode == 130, stderr
    assert "ingest of slow:200 interrupted; its unfinished cache was removed" in stderr
    assert cache_files(cache) == []  # nothing half-written, no temporary files
    done = subprocess.run(command, env={**subprocess_env(), "PYTHONPATH": str(third_party)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ingested slow:200: 200 documents" in done.stderr


def test_a_build_killed_outright_leaves_nothing_that_is_used(third_party, tmp_path, run_cli):
    cache = tmp_path / "cache"
    command = [NEAT, "data", "prepare", "slow:200", *set_args({
        "data.cache_dir": str(cache), "data.eval": ["slow:5"], "run.progress": False})]
    killed = subprocess.run(command, env={**subprocess_env(), "SLOW_SIGNAL": "SIGKILL:20",
                                          "PYTHONPATH": str(third_party)},
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # killed at document 20
    leftovers = [name for name in cache_files(cache) if name.endswith(".tmp")]
    assert leftovers and not [n for n in cache_files(cache) if n.endswith(".json")]
    shown = json.loads(run_cli("data", "inspect", "slow:20", "--json", *set_args({
        "data.cache_dir": str(cache), "data.eval": ["slow:5"]})).stdout)
    assert shown["sources"][0]["cache"]["state"] == "missing"
    result = run_cli("data", "prepare", "slow:200", *set_args({
        "data.cache_dir": str(cache), "data.eval": ["slow:5"], "run.progress": False}))
    assert result.exit_code == 0, result.stderr
    assert not [name for name in cache_files(cache) if name.endswith(".tmp")]


def test_ingest_reports_bytes_per_second_and_an_eta(third_party, tmp_path, run_cli,
                                                    monkeypatch):
    monkeypatch.setattr(ingest, "PROGRESS_SECONDS", 0.1)
    result = run_cli("data", "prepare", "slow:30", *set_args({
        "data.cache_dir": str(tmp_path / "cache"), "data.eval": ["slow:2"]}))
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("ingesting slow")]
    assert lines, result.stderr
    assert all("/s, ETA " in line and " of 30.0 kB (" in line for line in lines)


# --- the "done when": a Pile-style directory of .jsonl.zst ---------------------------

def pile(root: Path, files: int = 3, lines: int = 60) -> list[bytes]:
    """pile/train/NN.jsonl.zst with a text and a meta field per line (and one bad line);
    returns the texts in order."""
    texts = []
    words = (Path(json.__file__).parent / "decoder.py").read_text().split()
    (root / "pile/train").mkdir(parents=True)
    for f in range(files):
        rows = []
        for i in range(lines):
            text = " ".join(words[(f * lines + i) % 200:(f * lines + i) % 200 + 40])
            rows.append(json.dumps({"text": text, "meta": {"pile_set_name": "Github"}}))
            texts.append(text.encode())
        rows.insert(7, '{"text": truncated')
        data = ("\n".join(rows) + "\n").encode()
        (root / f"pile/train/{f:02d}.jsonl.zst").write_bytes(
            zstandard.ZstdCompressor(level=3).compress(data))
    return texts


def test_training_on_a_pile_style_directory_of_jsonl_zst(tmp_path, run_cli, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    texts = pile(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ingest, "PROGRESS_SECONDS", 0.0)
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache",
                             callbacks__tensorboard__enabled=True)
    del settings["data.train"]
    args = ["--set", 'data.train=["pile/train/*.jsonl.zst"]', *set_args(settings)]
    result = run_cli("train", *args)
    assert result.exit_code == 0, result.stderr
    assert "ingesting pile/train/*.jsonl.zst:" in result.stderr  # progress during ingest
    assert "3 bad records skipped" in result.stderr

    report = json.loads(run_cli("data", "inspect", "--json", *args).stdout)
    [source] = report["sources"]
    assert source["kinds"] == {"jsonl+zstd": 3} and source["documents"] == len(texts)
    assert source["bytes"] == sum(len(t) for t in texts) > source["stored_bytes"]
    assert source["bad_records"] == 3 and source["cache"]["state"] == "built"
    assert {s["cache"]["state"] for s in report["splits"].values()} == {"built"}
    train = Path(report["splits"]["train"]["cache"]["path"]).read_bytes()
    assert b'"text"' not in train and b"pile_set_name" not in train
    assert texts[0] in train or texts[0] in Path(report["splits"]["eval"]["cache"]["path"]
                                                 ).read_bytes()
    shown = run_cli("data", "inspect", *args).stdout
    assert "jsonl+zstd x3" in shown and "3 bad records skipped" in shown

    [events] = (tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events.parent))
    accumulator.Reload()
    scalars = set(accumulator.Tags()["scalars"])
    assert {"train/loss", "train/bpb", "train/lr", "train/grad_norm",
            "train/bytes_per_second", "eval/loss", "eval/bpb"} <= scalars
    assert [e.step for e in accumulator.Scalars("train/loss")] == [1, 2, 3, 4]
    assert [e.step for e in accumulator.Scalars("eval/bpb")] == [2, 4]

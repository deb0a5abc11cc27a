"""Byte corpora: reading, splits, cache, synthetic patterns, mixing, sampling, bad inputs."""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import attrs
import numpy as np
import pytest

from neat_core.config import NeatConfig, load_config
from neat_core.data import (
    BatchSampler,
    build_corpora,
    cache_files,
    cache_state,
    eval_batches,
    prepare_plans,
    read_documents,
)
from neat_core.data.store import HEADER_SIZE
from neat_core.errors import DataError
from neat_plugins.data.files import python_stdlib_files

ALL_BYTES = bytes(range(256)) * 8


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def docs_dir(root: Path, count: int = 20, size: int = 300) -> Path:
    for i in range(count):
        write(root / f"doc{i:02d}.txt", bytes([65 + i % 26]) * size)
    return root


def make_config(cache_dir: Path | str | None = None, *, seed: int = 0,
                **fields) -> NeatConfig:
    """A config whose data section has ``fields``; a dict sets a source's section, e.g.
    ``synthetic={"documents": 5}`` sets data.synthetic.documents."""
    overrides = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            overrides.update({f"data.{key}.{name}": item for name, item in value.items()})
        else:
            overrides[f"data.{key}"] = value
    if cache_dir is not None:
        overrides["data.cache_dir"] = str(cache_dir)
    overrides["run.seed"] = seed
    return load_config(overrides=overrides).config


@pytest.fixture
def config(tmp_path):
    """A config with the cache in tmp_path; keyword arguments set data.* fields."""

    def make(**fields) -> NeatConfig:
        return make_config(tmp_path / "cache", **fields)

    return make


def documents(sources: list[str], **fields) -> list[tuple[str, bytes]]:
    return read_documents(make_config(**fields), sources)


def with_seed(config: NeatConfig, seed: int) -> NeatConfig:
    return attrs.evolve(config, run=attrs.evolve(config.run, seed=seed))


def plans(config: NeatConfig, seed: int):
    return prepare_plans(with_seed(config, seed))


def names(plan) -> set[str]:
    return {name for source in plan.sources for name, _, _ in
            _index(source.catalog).entries(source.picks)}


def _index(catalog):
    from neat_core.data.store import open_index

    return open_index(catalog.files, catalog.meta)


# --- reading -------------------------------------------------------------------------------

def test_binary_file_is_read_byte_exact(tmp_path, config):
    binary = write(tmp_path / "all.bin", ALL_BYTES)
    other = write(tmp_path / "eval.bin", ALL_BYTES[::-1])
    corpora = build_corpora(config(train=[str(binary)], eval=[str(other)], separator="none"), block_size=16)
    assert bytes(corpora.train.array) == ALL_BYTES
    assert bytes(corpora.eval.array) == ALL_BYTES[::-1]
    assert documents([str(binary)]) == [(str(binary), ALL_BYTES)]


def test_documents_are_joined_by_the_separator(tmp_path, config):
    write(tmp_path / "d/a", b"first")
    write(tmp_path / "d/b", b"second")
    for separator, byte in (("none", b""), ("newline", b"\n"), ("nul", b"\0")):
        corpora = build_corpora(config(train=[str(tmp_path / "d")], eval=[str(tmp_path / "d")],
                                       separator=separator), block_size=4)
        assert bytes(corpora.train.array) == b"first" + byte + b"second"
        [a, b] = corpora.train.documents
        assert (a.name, a.start, a.end) == (str(tmp_path / "d/a"), 0, 5)
        assert bytes(corpora.train.array[b.start:b.end]) == b"second"


def test_directories_are_walked_sorted_recursively_skipping_hidden(tmp_path):
    for name in ("z.txt", "a/2.txt", "a/1.txt", "b.bin", ".hidden", ".git/objects/x",
                 "a/__pycache__/1.cpython-311.pyc"):
        write(tmp_path / "src" / name, name.encode())
    names = [Path(n).relative_to(tmp_path / "src").as_posix()
             for n, _ in documents([str(tmp_path / "src")])]
    assert names == ["a/1.txt", "a/2.txt", "b.bin", "z.txt"]


def test_globs_match_recursively_without_duplicates(tmp_path):
    for name in ("x/1.py", "x/y/2.py", "x/3.txt"):
        write(tmp_path / name, name.encode())
    docs = documents([str(tmp_path / "x/**/*.py"), str(tmp_path / "x/*.txt")])
    assert [data for _, data in docs] == [b"x/1.py", b"x/y/2.py", b"x/3.txt"]


def test_builtin_corpus_is_the_python_standard_library():
    files = python_stdlib_files()
    assert len(files) > 300 and all(f.suffix == ".py" for f in files)
    parts = {part for f in files for part in f.parts}
    assert not parts & {"site-packages", "test", "tests", "__pycache__"}
    total = sum(f.stat().st_size for f in files)
    assert 5_000_000 < total < 40_000_000
    assert any(f.name == "json" or f.parent.name == "json" for f in files)


# --- splits --------------------------------------------------------------------------------

def test_holdout_takes_whole_documents_deterministically(tmp_path, config):
    source = str(docs_dir(tmp_path / "docs", count=40))
    data = config(train=[source], eval_fraction=0.1)
    train, evals = plans(data, 5)
    train_names, eval_names = names(train), names(evals)
    assert len(eval_names) == 4 and not train_names & eval_names
    assert len(train_names | eval_names) == 40
    again, other = names(plans(data, 5)[1]), names(plans(data, 6)[1])
    assert again == eval_names and other != eval_names
    corpora = build_corpora(with_seed(data, 5), block_size=32)
    assert {d.name for d in corpora.eval.documents} == eval_names


# --- cache ---------------------------------------------------------------------------------

def fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_cache_is_reused_and_train_and_eval_never_share_a_file(tmp_path, config):
    source = str(docs_dir(tmp_path / "docs"))
    data = config(train=[source], eval=[source])
    first = build_corpora(data, block_size=32)
    assert first.train.path != first.eval.path
    before = fingerprint(first.train.path), fingerprint(first.eval.path)
    second = build_corpora(data, block_size=32)
    assert (fingerprint(second.train.path), fingerprint(second.eval.path)) == before
    assert second.train.path == first.train.path
    assert bytes(second.train.array) == bytes(first.train.array)


def test_touching_or_changing_a_file_rebuilds_the_cache(tmp_path, config):
    docs = docs_dir(tmp_path / "docs")
    data = config(train=[str(docs)], eval_fraction=0.1)
    train, _ = plans(data, 0)
    assert cache_state(train, data.data.cache_dir) == "missing"
    corpus = build_corpora(data, block_size=32).train
    assert cache_state(train, data.data.cache_dir) == "built"
    path, before = corpus.path, fingerprint(corpus.path)

    changed = Path(corpus.documents[3].name)
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache_state(plans(data, 0)[0], data.data.cache_dir) == "stale"
    build_corpora(data, block_size=32)
    assert fingerprint(path) != before

    changed.write_bytes(b"Z" * stat.st_size)  # same size, new bytes
    corpora = build_corpora(data, block_size=32)
    document = next(d for d in corpora.train.documents if d.name == str(changed))
    assert bytes(corpora.train.array[document.start:document.end]) == b"Z" * stat.st_size


@pytest.mark.parametrize("damage", ["truncate", "header", "sidecar", "no-sidecar"])
def test_a_damaged_cache_is_rebuilt(tmp_path, config, damage):
    data = config(train=[str(write(tmp_path / "a.bin", ALL_BYTES))],
                  eval=[str(write(tmp_path / "b.bin", ALL_BYTES[:300]))], separator="none")
    files = cache_files(plans(data, 0)[0], data.data.cache_dir)
    build_corpora(data, block_size=16)
    if damage == "truncate":
        os.truncate(files.data, HEADER_SIZE + 100)
    elif damage == "header":
        with open(files.data, "r+b") as handle:
            handle.write(b"garbage")
    elif damage == "sidecar":
        files.meta.write_text("{not json")
    else:
        files.meta.unlink()
    assert cache_state(plans(data, 0)[0], data.data.cache_dir) == "corrupt"
    corpora = build_corpora(data, block_size=16)
    assert bytes(corpora.train.array) == ALL_BYTES
    assert cache_state(plans(data, 0)[0], data.data.cache_dir) == "built"
    assert json.loads(files.meta.read_text())["size"] == len(ALL_BYTES)
    assert not [p for p in files.data.parent.iterdir() if p.name.startswith(".")]


# --- synthetic -----------------------------------------------------------------------------

SYNTHETIC = {"documents": 50, "min_length": 100, "max_length": 400}


def synthetic(pattern: str, seed: int = 0) -> list[bytes]:
    return [data for _, data in documents([f"synthetic:{pattern}"],
                                               synthetic=SYNTHETIC, seed=seed)]


def test_synthetic_lengths_and_seeding():
    docs = synthetic("random")
    assert len(docs) == 50 and all(100 <= len(d) <= 400 for d in docs)
    assert len({len(d) for d in docs}) > 10
    assert synthetic("random") == docs and synthetic("random", seed=1) != docs


def test_synthetic_patterns_have_their_documented_structure():
    for doc in synthetic("alternating"):
        assert len(set(doc)) == 2 and doc[2:] == doc[:-2] and doc[0] != doc[1]
    for doc in synthetic("repeating"):
        period = next(p for p in range(1, 17) if doc[p:] == doc[:-p])
        assert 2 <= period <= 16 or len(set(doc[:16])) == 1
    random = b"".join(synthetic("random"))
    assert len(zlib.compress(random, 9)) > 0.99 * len(random)
    assert len(set(random)) == 256
    mixed = b"".join(synthetic("mixed"))
    ratio = len(zlib.compress(mixed, 9)) / len(mixed)
    assert 0.2 < ratio < 0.9  # partly predictable, partly not


def test_synthetic_train_and_eval_sources_differ(config):
    data = config(train=["synthetic:random"], eval=["synthetic:random"],
                  synthetic={"documents": 5, "min_length": 64, "max_length": 64})
    corpora = build_corpora(data, block_size=16)
    assert len(corpora.train) == len(corpora.eval) == 5 * 65 - 1
    assert bytes(corpora.train.array) != bytes(corpora.eval.array)


# --- mixing and sampling -------------------------------------------------------------------

def two_sources(tmp_path: Path) -> tuple[str, str]:
    return (str(write(tmp_path / "a/big", b"a" * 60_000)),
            str(write(tmp_path / "b/small", b"b" * 6_000)))


def share_of_b(sampler: BatchSampler, batches: int) -> float:
    counts = Counter()
    for _ in range(batches):
        for row in sampler.next_batch():
            assert len(set(row.tolist())) == 1  # windows never cross sources
            counts[int(row[0])] += 1
    return counts[ord("b")] / sum(counts.values())


@pytest.mark.parametrize("mix, expected", [([25, 75], 0.75), ([1, 1], 0.5), ([], 6 / 66)])
def test_windows_follow_the_mix(tmp_path, config, mix, expected):
    a, b = two_sources(tmp_path)
    data = config(train=[a, b], eval=[a], mix=mix, separator="none")
    corpora = build_corpora(data, block_size=31)
    sampler = BatchSampler(corpora.train, block_size=31, batch_size=50, seed=3)
    assert share_of_b(sampler, 200) == pytest.approx(expected, abs=0.02)


def test_max_bytes_splits_between_sources_by_share(tmp_path, config):
    a, b = two_sources(tmp_path)
    data = config(train=[a, b], eval=[a], mix=[75, 25], max_bytes=4000)
    sizes = [s.end - s.start for s in build_corpora(data, block_size=15).train.sources]
    assert sizes == [3000, 1000]


def test_sampler_resumes_exactly_and_ranks_differ(tmp_path, config):
    source = str(docs_dir(tmp_path / "docs"))
    corpus = build_corpora(config(train=[source], eval=[source]), block_size=32).train

    def sampler(**kw) -> BatchSampler:
        return BatchSampler(corpus, block_size=32, batch_size=4, seed=9, **kw)

    uninterrupted = sampler()
    expected = [uninterrupted.next_batch() for _ in range(8)]
    assert expected[0].shape == (4, 33) and expected[0].dtype == np.uint8
    first = sampler()
    [first.next_batch() for _ in range(5)]
    state = json.loads(json.dumps(first.state_dict()))
    resumed = sampler()
    resumed.load_state_dict(state)
    for want in expected[5:]:
        np.testing.assert_array_equal(resumed.next_batch(), want)

    rank0, rank1 = sampler(rank=0, world_size=2), sampler(rank=1, world_size=2)
    both = BatchSampler(corpus, block_size=32, batch_size=8, seed=9)
    for _ in range(3):
        a, b = rank0.next_batch(), rank1.next_batch()
        assert not np.array_equal(a, b)
        np.testing.assert_array_equal(np.concatenate([a, b]), both.next_batch())

    with pytest.raises(DataError, match="batch_size"):
        BatchSampler(corpus, block_size=32, batch_size=5, seed=9).load_state_dict(state)


def test_eval_batches_are_the_same_every_time_and_cover_the_split(tmp_path, config):
    source = str(docs_dir(tmp_path / "docs"))
    corpus = build_corpora(config(train=[source], eval=[source]), block_size=32).eval
    first = list(eval_batches(corpus, block_size=32, batch_size=4, num_batches=5, seed=1))
    again = list(eval_batches(corpus, block_size=32, batch_size=4, num_batches=5, seed=1))
    assert len(first) == 5 and all(b.shape == (4, 33) for b in first)
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))
    letters = {chr(int(byte)) for batch in first for byte in batch[:, 0]}
    assert len(letters) >= 15  # windows spread over the 20 documents


# --- bad inputs ----------------------------------------------------------------------------

def fails(data: NeatConfig, match: str, block_size: int = 16) -> None:
    with pytest.raises(DataError, match=match) as info:
        build_corpora(data, block_size=block_size)
    assert "\n" not in info.value.one_line() and info.value.exit_code == 2


def test_a_missing_source_is_an_error(tmp_path, config):
    fails(config(train=[str(tmp_path / "nope")]), "does not exist")
    fails(config(train=[str(tmp_path / "nope*.txt")]), "matches no files")
    fails(config(train=["synthetic:zigzag"]), "unknown synthetic pattern")
    fails(config(train=["builtin:wikipedia"]), "unknown built-in corpus")


def test_a_directory_without_files_is_an_error(tmp_path, config):
    write(tmp_path / "d/.only-hidden", b"x" * 100)
    (tmp_path / "d/sub").mkdir()
    fails(config(train=[str(tmp_path / "d")]), "has no files")


def test_only_empty_files_is_an_error(tmp_path, config):
    write(tmp_path / "d/a", b"")
    write(tmp_path / "d/b", b"")
    fails(config(train=[str(tmp_path / "d")]), "only empty files")


def test_a_corpus_shorter_than_one_window_is_an_error(tmp_path, config):
    data = config(train=[str(docs_dir(tmp_path / "d", count=4, size=10))], eval_fraction=0.5)
    fails(data, "fewer than one window", block_size=64)
    a, b = two_sources(tmp_path)
    fails(config(train=[a, b], eval=[a], max_bytes=5000), "source .*small.* fewer than one "
          "window", block_size=1000)


def test_an_empty_eval_split_is_an_error(tmp_path, config):
    single = str(write(tmp_path / "one.txt", b"x" * 1000))
    fails(config(train=[single]), "evaluation split would be empty.*single document")
    fails(config(train=[str(docs_dir(tmp_path / "d"))], eval_fraction=0.0),
          "eval_fraction is 0")


@pytest.mark.parametrize("mix, match", [([-10, 110], "negative"), ([0, 0], "all zero"),
                                        ([50, 0], "zero percentage"),
                                        ([100], "1 percentages for 2")])
def test_bad_mix_percentages_are_errors(tmp_path, config, mix, match):
    a, b = two_sources(tmp_path)
    fails(config(train=[a, b], eval=[a], mix=mix), match)


@contextmanager
def without_read_permission():
    """A world-readable directory whose file ``secret`` cannot be read by this process.

    Tests often run as root, which ignores file modes: then the effective user id is
    switched to ``nobody`` for the duration (and restored).
    """
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        cache = root / "cache"
        cache.mkdir(mode=0o777)
        cache.chmod(0o777)
        secret = write(root / "secret", b"x" * 500)
        secret.chmod(0)
        if os.geteuid() != 0:
            yield secret, cache
            return
        os.setegid(65534)
        os.seteuid(65534)
        try:
            yield secret, cache
        finally:
            os.seteuid(0)
            os.setegid(0)
    finally:
        secret.chmod(0o600)
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        root.rmdir()


def test_an_unreadable_file_is_an_error():
    with without_read_permission() as (secret, cache):
        data = make_config(cache, train=[str(secret)], eval=[str(secret)])
        with pytest.raises(DataError, match="cannot read .*secret: Permission denied"):
            build_corpora(data, block_size=16)
        with pytest.raises(DataError, match="Permission denied"):
            documents([str(secret)])
        assert [p.name for p in cache.iterdir()] == []  # no half-written cache left

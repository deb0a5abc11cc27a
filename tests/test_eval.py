"""Evaluation and analysis metrics against hand-computed values (a model with known
outputs), compressor baselines against the standard library, and bad inputs."""

from __future__ import annotations

import bz2
import gzip
import lzma
import math

import pytest

import neat_core
from neat_core.errors import CheckpointError, DataError, UsageError
from neat_core.testing import plugin_registered

from .eval_helpers import SuccessorPlugin, entropy_after, nll, save

TEXT = b"abc xyz, 12 AB!\n\xc3\xa9tude"


@pytest.fixture
def successor():
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield


@pytest.fixture
def write_files(tmp_path):
    def write(**files: bytes):
        folder = tmp_path / "data"
        folder.mkdir(exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return [str(folder / name) for name in files]

    return write


def test_uniform_outputs_score_exactly_8_bits_per_byte(tmp_path, successor, write_files):
    ckpt = save(tmp_path / "ckpt", peak=0.0)
    results = neat_core.evaluate(ckpt, data=write_files(a=TEXT, b=b"hello world"))
    bpb = results["results"]["bits-per-byte"]
    assert bpb["overall"]["bytes"] == len(TEXT) - 1 + 10
    assert bpb["overall"]["bits_per_byte"] == pytest.approx(8.0, abs=1e-5)
    assert bpb["overall"]["loss"] == pytest.approx(math.log(256), abs=1e-5)
    assert bpb["overall"]["perplexity"] == pytest.approx(256.0, rel=1e-5)
    assert [d["bits_per_byte"] for d in bpb["documents"]] == pytest.approx([8.0, 8.0], abs=1e-5)


def test_loss_perplexity_and_bpb_match_hand_computed_values(tmp_path, successor, write_files):
    peak = 3.0
    ckpt = save(tmp_path / "ckpt", peak=peak)
    docs = {"a": TEXT, "b": b"abcdefgh", "c": b"zz"}
    results = neat_core.evaluate(ckpt, data=write_files(**docs))
    bpb = results["results"]["bits-per-byte"]
    expected = {name: nll(data, peak) for name, data in docs.items()}
    for row, values in zip(bpb["documents"], expected.values(), strict=True):
        assert row["bytes"] == len(values)
        assert row["loss"] == pytest.approx(sum(values) / len(values), rel=1e-5)
    every = [v for values in expected.values() for v in values]
    loss = sum(every) / len(every)
    overall = bpb["overall"]
    assert overall["loss"] == pytest.approx(loss, rel=1e-5)
    assert overall["bits_per_byte"] == overall["loss"] / math.log(2)  # exactly
    assert overall["perplexity"] == pytest.approx(math.exp(overall["loss"]))
    assert bpb["context"] == {"block_size": 16, "stride": 8, "batch_size": 16,
                              "cache": False, "min_context": 8}


def test_compressor_figures_equal_the_standard_library(tmp_path, successor, write_files):
    docs = {"a": TEXT * 20, "b": bytes(range(256)) * 3}
    ckpt = save(tmp_path / "ckpt")
    bpb = neat_core.evaluate(ckpt, data=write_files(**docs))["results"]["bits-per-byte"]
    compress = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}
    for row, data in zip(bpb["documents"], docs.values(), strict=True):
        assert row["compressors"] == {name: 8 * len(f(data)) / len(data)
                                      for name, f in compress.items()}
    total = sum(len(d) for d in docs.values())
    assert bpb["compressors"] == {
        name: 8 * sum(len(f(d)) for d in docs.values()) / total for name, f in compress.items()}


def test_compressors_can_be_switched_off(tmp_path, successor, write_files):
    ckpt = save(tmp_path / "ckpt")
    bpb = neat_core.evaluate(ckpt, data=write_files(a=TEXT),
                             overrides={"evaluators.bits-per-byte.compressors": False})["results"]["bits-per-byte"]
    assert bpb["compressors"] is None and bpb["documents"][0]["compressors"] is None


def test_entropy_statistics_by_the_class_of_the_predicted_byte(tmp_path, successor):
    peak = 6.0
    low = entropy_after(peak)  # about 4.06 bits
    ckpt = save(tmp_path / "ckpt", peak=peak)
    # predictions of: b(after a) ' '(after b) 1(after ' ') .(after 1) é(after .) \x01(after é)
    text = b"ab 1.\xc3\xa9\x01"
    entropy = neat_core.analyze(ckpt, text=text.decode())["results"]["entropy"]
    assert entropy["predictions"] == len(text) - 1
    by_class = {name: (v["predictions"], v["mean"]) for name, v in entropy["by_class"].items()}
    assert by_class["letters"] == (1, pytest.approx(low, rel=1e-5))
    assert by_class["whitespace"] == (1, pytest.approx(low, rel=1e-5))
    assert by_class["digits"] == (1, pytest.approx(8.0, abs=1e-5))
    assert by_class["punctuation"] == (1, pytest.approx(8.0, abs=1e-5))
    assert by_class["non-ascii"] == (2, pytest.approx(8.0, abs=1e-5))
    assert by_class["control"] == (1, pytest.approx(8.0, abs=1e-5))
    assert entropy["mean"] == pytest.approx((2 * low + 5 * 8.0) / 7, rel=1e-5)
    assert entropy["max"] == pytest.approx(8.0, abs=1e-5)
    assert sum(entropy["histogram"]["counts"]) == 7
    assert entropy["histogram"]["counts"][-1] == 5  # the 8-bit predictions


def test_patches_for_the_configured_threshold(tmp_path, successor):
    ckpt = save(tmp_path / "ckpt", peak=8.0)  # after a letter: about 1.03 bits, else 8
    text = "ab cd, efg hi"  # boundaries after the bytes that are not letters
    patches = neat_core.analyze(ckpt, text=text, overrides={"patching.threshold": 5.0}
                                )["results"]["patches"]
    assert patches["patches"] == 5  # "ab " "cd," " " "efg " "hi"
    assert patches["size_histogram"] == {"sizes": [1, 2, 3, 4], "counts": [1, 1, 2, 1]}
    assert patches["mean_patch_size"] == pytest.approx(len(text) / 5)
    assert patches["boundary_ratio"] == pytest.approx(5 / len(text))
    assert patches["patches_per_kb"] == pytest.approx(1024 * 5 / len(text))
    assert patches["preview"]["boundaries"] == [0, 3, 6, 7, 11]
    assert patches["preview"]["bytes"] == list(text.encode())
    assert patches["patching"]["calibrated"] is False
    sweep = {p["threshold"]: p["mean_patch_size"] for p in patches["sweep"]["points"]}
    assert sweep[0.0] == 1.0 and sweep[5.0] == pytest.approx(len(text) / 5)
    assert sweep[8.0] == len(text)  # nothing exceeds 8 bits: one patch


def test_target_patch_size_calibrates_one_threshold_for_all_documents(tmp_path, successor,
                                                                      write_files):
    # 8 bits exactly are never a candidate threshold, so keep both levels below 8
    ckpt = save(tmp_path / "ckpt", peak=8.0, other=4.0)  # about 1.03 and 7.26 bits
    files = write_files(a=b"ab cd, efg hi", b=b"abcd efgh ijkl")
    patches = neat_core.analyze(ckpt, data=files, overrides={"patching.target_patch_size": 4}
                                )["results"]["patches"]
    patching = patches["patching"]
    assert patching["calibrated"] is True and patching["target_patch_size"] == 4
    assert entropy_after(8.0) < patching["threshold"] < entropy_after(4.0)
    assert patches["patches"] == 5 + 3  # a boundary after each byte that is not a letter
    targets = {c["target_patch_size"]: c for c in patches["sweep"]["calibration"]}
    assert targets[4]["threshold"] == patching["threshold"]


def test_no_data_found_is_a_data_error_never_nan(tmp_path, successor):
    ckpt = save(tmp_path / "ckpt")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_bytes(b"")
    with pytest.raises(DataError):
        neat_core.evaluate(ckpt, data=[str(tmp_path / "empty")])
    with pytest.raises(DataError):
        neat_core.evaluate(ckpt, data=[str(tmp_path / "missing")])
    with pytest.raises(DataError, match="single byte"):
        neat_core.analyze(ckpt, text="x")


def test_damaged_or_missing_checkpoints_are_checkpoint_errors(tmp_path, successor):
    ckpt = save(tmp_path / "ckpt")
    (ckpt / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="damaged"):
        neat_core.evaluate(ckpt, data=[__file__])
    with pytest.raises(CheckpointError, match="not found"):
        neat_core.evaluate(tmp_path / "nothing", data=[__file__])


def test_unknown_evaluator_lists_the_registered_ones(tmp_path, successor):
    ckpt = save(tmp_path / "ckpt")
    with pytest.raises(UsageError) as error:
        neat_core.evaluate(ckpt, data=[__file__], overrides={"eval.evaluators": ["perplexity"]})
    assert "registered evaluators: bits-per-byte, entropy, patches" in error.value.one_line()


def test_compare_scores_every_checkpoint_on_the_same_bytes(tmp_path, successor, write_files):
    a, b = save(tmp_path / "a", peak=0.0), save(tmp_path / "b", peak=5.0, step=9)
    results = neat_core.compare([a, b], data=write_files(a=b"abcdefghij"))
    assert results["kind"] == "comparison" and len(results["runs"]) == 2
    first, second = (run["results"]["bits-per-byte"]["overall"] for run in results["runs"])
    assert first["bits_per_byte"] == pytest.approx(8.0, abs=1e-5)
    assert second["loss"] == pytest.approx(sum(nll(b"abcdefghij", 5.0)) / 9, rel=1e-5)
    assert [run["checkpoint"]["step"] for run in results["runs"]] == [7, 9]


def test_max_bytes_truncates_each_document(tmp_path, successor, write_files):
    ckpt = save(tmp_path / "ckpt", eval={"max_bytes": 5})
    results = neat_core.evaluate(ckpt, data=write_files(a=TEXT, b=TEXT))
    assert results["data"]["bytes"] == 10
    assert results["results"]["bits-per-byte"]["overall"]["bytes"] == 8


def test_stride_sets_the_context_and_must_fit_the_window(tmp_path, successor, write_files):
    ckpt = save(tmp_path / "ckpt", peak=3.0)
    files = write_files(a=TEXT * 3)
    results = neat_core.evaluate(ckpt, data=files, overrides={"eval.stride": 3,
                                                              "eval.batch_size": 2})
    bpb = results["results"]["bits-per-byte"]
    assert bpb["context"] == {"block_size": 16, "stride": 3, "batch_size": 2,
                              "cache": False, "min_context": 13}
    assert bpb["overall"]["loss"] == pytest.approx(
        sum(nll(TEXT * 3, 3.0)) / (len(TEXT) * 3 - 1), rel=1e-5)
    with pytest.raises(UsageError, match="stride 17"):
        neat_core.evaluate(ckpt, data=files, overrides={"eval.stride": 17})

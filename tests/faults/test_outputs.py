"""Outputs that cannot be written, or that someone planted links at (audit defects 8,
10): checked before any work, written by rename, never through a link."""

from __future__ import annotations

import errno
import json
import os

import pytest

from neat_core import files
from neat_core.checkpoint import save_checkpoint

from ..blt_util import tiny_config, tiny_model
from ..train_utils import error_line, losses, set_args, tiny_settings

UNWRITABLE = "/proc/neat-test/out"  # not even root can create files in /proc


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "ckpt", tiny_model(),
                           tiny_config())


@pytest.mark.parametrize("command", [["eval", "{ckpt}", "--report", "json"],
                                     ["analyze", "{ckpt}", "--report", "html"]])
def test_an_unwritable_out_fails_before_the_work(run_cli, tmp_path, command):
    # the checkpoint does not even exist: the --out check comes first, before any work
    args = [a.format(ckpt=tmp_path / "no-such-checkpoint") for a in command]
    result = run_cli(*args, "--out", UNWRITABLE)
    assert result.exit_code == 2
    assert f"--out directory {UNWRITABLE} is not writable" in error_line(result)


def test_text_reports_need_no_writable_out(run_cli, checkpoint):
    result = run_cli("eval", str(checkpoint), "--report", "text", "--out", UNWRITABLE,
                     "--set", "eval.max_bytes=300", "--data", str(__file__))
    assert result.exit_code == 0, result.output


def test_an_unwritable_log_file_fails_before_the_work(run_cli, tmp_path):
    result = run_cli("--log-file", f"{UNWRITABLE}/neat.log", "train", "--output-dir",
                     str(tmp_path / "run"))
    assert result.exit_code == 2
    assert f"cannot write log file {UNWRITABLE}/neat.log" in error_line(result)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [["config", "init", "{out}"],
                                     ["config", "schema", "-o", "{out}"]])
def test_config_outputs_that_cannot_be_written(run_cli, command):
    result = run_cli(*[a.format(out=f"{UNWRITABLE}/neat.json") for a in command])
    assert result.exit_code == 2 and "cannot write /proc/neat-test/out/neat.json" in \
        error_line(result)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
def test_a_read_only_run_directory_mid_run_is_a_clear_error(run_cli, tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert run_cli("train", *set_args(tiny_settings(run, tmp_path / "cache"))).exit_code == 0
    real = files.write_all

    def read_only_checkpoints(fd, data):  # the disk turned read-only under the run
        if "/checkpoints/" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real(fd, data)

    monkeypatch.setattr(files, "write_all", read_only_checkpoints)
    result = run_cli("train", "--resume", "--output-dir", str(run), "--max-steps", "6")
    assert result.exit_code == 2, result.output
    assert "model.safetensors: Read-only file system" in error_line(result)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "best", "step-0000002", "step-0000004"]  # what was saved before is intact


def test_planted_links_in_a_run_directory_are_replaced_not_followed(run_cli, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    victims = {}
    for name in ("config.json", "metrics.jsonl", "checkpoints/step-0000002"):
        victim = tmp_path / f"victim-{name.replace('/', '-')}"
        if name.startswith("checkpoints/"):
            victim.mkdir()
            (victim / "keep.txt").write_text("precious")
        else:
            victim.write_text("precious")
        (run / name).symlink_to(victim)
        victims[name] = victim
    result = run_cli("train", *set_args(tiny_settings(run, tmp_path / "cache")))
    assert result.exit_code == 0, result.output
    for name, victim in victims.items():
        target = victim / "keep.txt" if victim.is_dir() else victim
        assert target.read_text() == "precious" and os.listdir(target.parent)
        assert not (run / name).is_symlink()
    assert json.loads((run / "config.json").read_text())["run"]["output_dir"] == str(run)
    assert sorted(losses(run)) == [1, 2, 3, 4]
    assert sorted(os.listdir(victims["checkpoints/step-0000002"])) == ["keep.txt"]


@pytest.mark.parametrize("report, name", [("json", "eval.json"), ("html", "eval.html")])
def test_planted_links_at_report_files_are_replaced(run_cli, checkpoint, tmp_path, report,
                                                    name):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / name).symlink_to(victim)
    result = run_cli("eval", str(checkpoint), "--report", report, "--out",
                     str(tmp_path / "out"), "--data", str(__file__),
                     "--set", "eval.max_bytes=300")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious" and not (tmp_path / "out" / name).is_symlink()


def test_config_init_force_replaces_a_link_not_its_target(run_cli, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "neat.json").symlink_to(victim)
    assert run_cli("config", "init", str(tmp_path / "neat.json")).exit_code == 2
    assert run_cli("config", "init", str(tmp_path / "neat.json"), "--force").exit_code == 0
    assert victim.read_text() == "precious"
    assert "model" in json.loads((tmp_path / "neat.json").read_text())

"""A full disk at any write of a run (audit defect 2): one clear line (exit 1) naming
the path and the space needed; then, with space again, the run resumes and ends with
exactly the curve of a run that never failed.

The disk fills up by injection (the n-th write through neat_core.files stores half its
bytes, then fails with ENOSPC), once at each kind of file a run writes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from neat_core.training import RunDirectory

from ..train_utils import losses, set_args, tiny_settings
from .inject import WriteFaults

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="names written files through /proc (Linux)")

SETTINGS = {"training__max_steps": 6, "training__save_steps": 2, "training__eval_steps": 2}


def site(fd: int) -> str:
    """What a write goes to: 'metrics.jsonl', 'checkpoint meta.json', 'cache .bytes'..."""
    path = os.readlink(f"/proc/self/fd/{fd}")
    name = re.sub(r"^\.(.+?)(\.tmp-[0-9a-f]+|\.\d+\.tmp)$", r"\1", os.path.basename(path))
    if "/cache/" in path:
        return f"cache {Path(name).suffix}"
    return f"checkpoint {name}" if "/checkpoints/" in path else name


class LabelledFaults(WriteFaults):
    """WriteFaults that also records the site of every write."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(monkeypatch)
        from neat_core import files

        counted = files.write_all
        self.sites: list[str] = []

        def write_all(fd, data):
            self.sites.append(site(fd))
            counted(fd, data)

        monkeypatch.setattr(files, "write_all", write_all)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The write sites of a run that never fails, in order, and its losses."""
    from click.testing import CliRunner

    from neat_core.cli import cli

    tmp = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as monkeypatch:
        faults = LabelledFaults(monkeypatch)
        result = CliRunner().invoke(cli, ["train", *set_args(
            tiny_settings(tmp / "run", tmp / "cache", **SETTINGS))])
    assert result.exit_code == 0, result.output
    return faults.sites, losses(tmp / "run")


# (site, which of its writes fails): the second checkpoint, so there is one to resume from
CASES = [("cache .bytes", 0), ("cache .index", 1), ("cache .names", 1), ("cache .json", 2),
         ("config.json", 0), ("metrics.jsonl", 3),
         ("checkpoint model.safetensors", 1), ("checkpoint training_state.safetensors", 1),
         ("checkpoint training_state.json", 1), ("checkpoint config.json", 1),
         ("checkpoint meta.json", 1)]


@pytest.mark.parametrize("where, occurrence", CASES)
def test_disk_full_is_one_line_and_the_run_resumes_exactly(where, occurrence, reference,
                                                            tmp_path, monkeypatch, run_cli):
    sites, expected = reference
    index = [i for i, s in enumerate(sites) if s == where][occurrence]
    run = tmp_path / "run"
    args = set_args(tiny_settings(run, tmp_path / "cache", **SETTINGS))
    faults = WriteFaults(monkeypatch)
    faults.fail(at=index)
    failed = run_cli("train", *args)
    assert failed.exit_code == 1 and faults.failed, failed.output
    line = failed.stderr.strip().splitlines()[-1]
    assert re.match(r"error: disk full: cannot (write|save checkpoint) /\S+: it needs "
                    r"[\d.]+ (bytes|kB|MB), [\d.]+ \w+ free \(hint: free some space", line), line
    faults.stop()
    again = ["train", "--resume", "--output-dir", str(run)] if RunDirectory(run).latest() \
        else ["train", *args]
    assert ("continue with: neat train --resume" in line) == (again[1] == "--resume")
    resumed = run_cli(*again)
    assert resumed.exit_code == 0, resumed.output
    assert losses(run) == expected  # bit for bit: nothing lost, nothing doubled
    leftovers = [p for p in run.rglob(".*") if ".tmp-" in p.name]
    assert not leftovers


def test_every_kind_of_file_a_run_writes_is_covered(reference):
    sites, _ = reference
    assert set(sites) == {where for where, _ in CASES}


def test_a_torn_last_metrics_line_does_not_stop_a_resume(tmp_path, run_cli):
    """What a full disk left behind before records were cut back: a partial last line
    (then every --resume failed with an unexpected JSONDecodeError)."""
    run = tmp_path / "run"
    assert run_cli("train", *set_args(tiny_settings(run, tmp_path / "cache",
                                                    **SETTINGS))).exit_code == 0
    with open(run / "metrics.jsonl", "ab") as metrics:
        metrics.write(b'{"kind": "train", "step": 7, "loss": 2.3')
    resumed = run_cli("train", "--resume", "--output-dir", str(run), "--max-steps", "8")
    assert resumed.exit_code == 0, resumed.output
    assert f"{run / 'metrics.jsonl'} ends in a partial record" in resumed.stderr
    assert sorted(losses(run)) == list(range(1, 9))

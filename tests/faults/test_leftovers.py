"""What kill -9 leaves behind (audit defect 9): temporary directories of killed saves
are removed by the next run, and a half-deleted newest checkpoint never blocks a resume."""

from __future__ import annotations

import logging

from neat_core.checkpoint import MODEL_FILE
from neat_core.training import RunDirectory

from ..train_utils import copy_run, finished  # noqa: F401 - fixture


def test_a_half_deleted_newest_checkpoint_is_skipped_and_leftovers_removed(run_cli, finished,
                                                                         tmp_path):
    run = copy_run(finished, tmp_path)
    checkpoints = run / "checkpoints"
    (checkpoints / "step-0000004" / MODEL_FILE).unlink()  # a kill midway through deleting
    leftovers = [checkpoints / ".step-0000006.tmp-1a2b3c4d", run / ".config.json.tmp-5e6f7a8b",
                 checkpoints / ".step-0000002.tmp-deleted-0f0f0f0f"]
    for path in leftovers:
        path.mkdir() if "step" in path.name else path.write_text("{")
        if "step" in path.name:
            (path / MODEL_FILE).write_bytes(b"half")
    result = run_cli("train", "--resume", "--output-dir", str(run), "--max-steps", "6")
    assert result.exit_code == 0, result.output
    assert f"skipping incomplete checkpoint {checkpoints / 'step-0000004'} " \
           f"({MODEL_FILE} missing)" in result.stderr
    assert "resuming from" in result.stderr and "step-0000002 at step 2" in result.stderr
    assert not any(path.exists() for path in leftovers)
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        "best", "step-0000004", "step-0000006"]  # the broken 4 was rewritten


def test_rotation_deletes_by_renaming_first(tmp_path, monkeypatch, caplog):
    """A kill in the middle of deleting a checkpoint leaves a hidden leftover, never a
    half-deleted step-N that looks like a checkpoint."""
    import shutil

    run = RunDirectory(tmp_path)
    for step in (1, 2, 3):
        path = run.step_path(step)
        path.mkdir(parents=True)
        for name in ("meta.json", MODEL_FILE, "config.json"):
            (path / name).write_text("x")
    monkeypatch.setattr(shutil, "rmtree", lambda path, **kwargs: None)  # killed right here
    run.rotate(keep_last=1)
    with caplog.at_level(logging.WARNING, logger="neat"):
        assert run.latest() == run.step_path(3)
    assert [step for step, _ in run.checkpoints()] == [3]
    hidden = sorted(p.name for p in run.checkpoints_dir.iterdir() if p.name.startswith("."))
    assert len(hidden) == 2 and all(".tmp-deleted-" in name for name in hidden)
    monkeypatch.undo()
    run.remove_leftovers()
    assert sorted(p.name for p in run.checkpoints_dir.iterdir()) == ["step-0000003"]

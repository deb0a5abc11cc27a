"""Bad inputs to `neat train`: a clear one-line error and the right exit code, each."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from neat_core import hookimpl
from neat_core.checkpoint import STATE_TENSORS_FILE, load_checkpoint
from neat_core.config import ModelConfig, setting
from neat_core.settings.schema import frozen
from neat_core.testing import plugin_registered

from .checkpoint_util import forge_checksums
from .train_utils import copy_run, error_line, finished, set_args, tiny_settings  # noqa: F401 - fixture


def test_output_dir_that_is_a_file(run_cli, tmp_path):
    (tmp_path / "file").write_text("not a directory")
    result = run_cli("train", "--output-dir", str(tmp_path / "file"))
    assert result.exit_code == 2
    assert "is a file, not a directory" in error_line(result)


def test_output_dir_that_is_not_writable(run_cli):
    result = run_cli("train", "--output-dir", "/proc/neat-run")
    assert result.exit_code == 2 and "is not writable" in error_line(result)


def test_output_dir_holding_another_run_needs_resume(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    result = run_cli("train", *set_args({**finished[1], "run.output_dir": str(run)}))
    assert result.exit_code == 2 and "already holds checkpoints" in error_line(result)
    assert "--resume" in error_line(result)


def test_resume_with_nothing_to_resume(run_cli, tmp_path):
    result = run_cli("train", "--resume", "--output-dir", str(tmp_path / "new"))
    assert result.exit_code == 2 and "nothing to resume" in error_line(result)


def test_resume_from_a_missing_checkpoint(run_cli, tmp_path):
    result = run_cli("train", "--resume", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "does not exist" in error_line(result)


def test_resume_from_a_damaged_checkpoint(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    weights = run / "checkpoints" / "step-0000004" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    result = run_cli("train", "--resume", str(run), "--max-steps", "6")
    assert result.exit_code == 2
    assert "model.safetensors is damaged" in error_line(result)


def test_resume_with_other_shapes(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    result = run_cli("train", "--resume", str(run), "--max-steps", "6",
                     "--set", "model.hidden_size=32")
    assert result.exit_code == 2
    assert "model.hidden_size is 32 here but 16 in checkpoint" in error_line(result)


@frozen
class OtherConfig(ModelConfig):
    width: int = setting(8, help="Width.")


class OtherModelPlugin:
    @hookimpl
    def register_models(self, register):
        register("other-model", lambda config: None, config_class=OtherConfig)


def test_resume_with_another_model(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    with plugin_registered(OtherModelPlugin(), "other-model"):
        result = run_cli("train", "--resume", str(run), "--model", "other-model")
    assert result.exit_code == 2
    assert "holds model 'blt-entropy', not 'other-model'" in error_line(result)


def test_resume_a_finished_run_without_more_steps(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    result = run_cli("train", "--resume", str(run))
    assert result.exit_code == 2
    assert "is at step 4, and training.max_steps is 4" in error_line(result)


@pytest.mark.parametrize("setting, message", [
    ({"model__block_size": 512}, "block_size + 1 = 513"),
    ({"training__batch_size": 64}, "training.batch_size 64 does not fit the data"),
], ids=["block_size", "batch_size"])
def test_sizes_that_do_not_fit_the_data(run_cli, tmp_path, setting, message):
    (tmp_path / "small.txt").write_text("x" * 300)
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache", data__train=[
        str(tmp_path / "small.txt")], data__eval=[str(tmp_path / "small.txt")], **setting)
    result = run_cli("train", *set_args(settings))
    assert result.exit_code == 2 and message in error_line(result)


def test_unknown_trainer(run_cli, tmp_path):
    result = run_cli("train", "--output-dir", str(tmp_path), "--set", "training.trainer=fancy")
    assert result.exit_code == 2
    assert "unknown trainer 'fancy'" in error_line(result) and "standard" in error_line(result)


class Payload:
    """Unpickling this runs ``open(path, "w")``: the file is the proof it ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickled_training_state_is_refused_and_never_runs(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    proof = tmp_path / "payload-ran"
    crafted = pickle.dumps(Payload(proof))
    pickle.loads(crafted).close()  # the payload does run when unpickled...
    assert proof.exists()
    proof.unlink()
    checkpoint = run / "checkpoints" / "step-0000004"
    (checkpoint / STATE_TENSORS_FILE).write_bytes(crafted)
    forge_checksums(checkpoint)  # no checksum to trip over: the format must
    result = run_cli("train", "--resume", str(checkpoint), "--max-steps", "6")
    assert result.exit_code == 2
    assert f"{STATE_TENSORS_FILE} is damaged" in error_line(result)
    assert not proof.exists()  # ...but NEAT never unpickled it


def test_diverging_run_exits_1_and_keeps_the_last_good_checkpoint(run_cli, finished, tmp_path):
    run = copy_run(finished, tmp_path)
    result = run_cli("train", "--resume", str(run), "--max-steps", "8",
                     "--set", "training.learning_rate=1e30", "--set", "training.warmup_steps=0",
                     "--set", "training.lr_schedule=constant", "--set", "training.save_steps=1")
    assert result.exit_code == 1
    line = error_line(result)
    assert "training diverged" in line and "step-0000004" in line
    assert [p.name for p in sorted((run / "checkpoints").glob("step-*"))] == [
        "step-0000002", "step-0000004"]
    assert load_checkpoint(run / "checkpoints" / "step-0000004").meta["step"] == 4

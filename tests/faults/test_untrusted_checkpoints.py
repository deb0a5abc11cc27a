"""A checkpoint is untrusted input (issue 23, items 4, 7 and 13).

A checkpoint handed over by someone else (here: one whose config.json was rewritten with
its checksums recomputed, or one sealed by another user's key) chooses neither the files
NEAT reads nor where it writes; its config cannot make NEAT allocate memory that its
weights do not justify; a training state nobody needs is never parsed.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ..train_utils import CORPUS, copy_run, error_line, finished  # noqa: F401
from .hostile import rewrite_checkpoint, run_measured

STEP = "checkpoints/step-0000004"


@pytest.fixture
def run(finished, tmp_path):
    return copy_run(finished, tmp_path)


@pytest.fixture
def other_user(tmp_path, monkeypatch):
    """This process now runs as someone else: another key seals their checkpoints."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other-user-config"))


def secrets_and_a_drop(tmp_path):
    secrets = []
    for name in ("id_key", "notes"):
        path = tmp_path / "home" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"private {name}\n" * 50)
        path.chmod(0o600)
        secrets.append(str(path))
    drop = tmp_path / "drop"
    drop.mkdir()
    drop.chmod(0o777)
    return secrets, drop


def test_an_untrusted_checkpoint_reads_no_file_it_names_and_writes_nowhere_it_says(
        run, tmp_path, run_cli):
    secrets, drop = secrets_and_a_drop(tmp_path)

    def plant(config):
        config["data"].update(eval=secrets, cache_dir=str(drop))
        return config

    rewrite_checkpoint(run / STEP, "config.json", plant)
    result = run_cli("eval", str(run / STEP))
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert f"checkpoint {run / STEP} names data it was not given by you" in line
    assert f"data.eval = {json.dumps(secrets)}" in line  # offered as a hint, not read
    assert "--data" in line
    assert not list(drop.iterdir())
    named = run_cli("eval", str(run / STEP), "--data", CORPUS)  # the user's own data
    assert named.exit_code == 0, named.output
    assert not list(drop.iterdir())


def test_a_resume_of_another_users_checkpoint_needs_its_data_named(run, tmp_path, run_cli,
                                                                  other_user):
    refused = run_cli("train", "--resume", str(run), "--max-steps", "6")
    assert refused.exit_code == 2, refused.output
    line = error_line(refused)
    assert f"data.train = {json.dumps([CORPUS])}" in line
    assert not (run / "checkpoints/step-0000006").exists()
    cache = tmp_path / "my-cache"
    resumed = run_cli("train", "--resume", str(run), "--max-steps", "6", "--set",
                      f"data.train={json.dumps([CORPUS])}", "--set", f"data.cache_dir={cache}")
    assert resumed.exit_code == 0, resumed.output
    assert (run / "checkpoints/step-0000006").is_dir() and cache.is_dir()


def test_an_untrusted_checkpoint_does_not_choose_the_output_dir(run, tmp_path, run_cli,
                                                               monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    loose = tmp_path / "loose"
    (run / STEP).rename(loose)  # a checkpoint outside any run directory
    rewrite_checkpoint(loose, "config.json", lambda config: {
        **config, "run": {**config["run"], "output_dir": str(elsewhere)}})
    monkeypatch.chdir(tmp_path)
    result = run_cli("train", "--resume", str(loose), "--max-steps", "6", "--set",
                     f"data.train={json.dumps([CORPUS])}", "--set",
                     f"data.cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 0, result.output
    assert not elsewhere.exists()
    assert (tmp_path / "runs/quickstart/checkpoints/step-0000006").is_dir()


def test_cache_files_are_never_wider_than_their_source(tmp_path, run_cli):
    previous = os.umask(0o022)
    try:
        for mode, expected in ((0o600, 0o600), (0o644, 0o644)):
            source = tmp_path / f"src-{mode:o}"
            for i in range(4):
                (source / f"doc{i}.txt").parent.mkdir(exist_ok=True)
                (source / f"doc{i}.txt").write_text(f"document {i} " * 100)
                (source / f"doc{i}.txt").chmod(mode)
            cache = tmp_path / f"cache-{mode:o}" / "neat"
            result = run_cli("data", "prepare", str(source), "--set",
                             f"data.cache_dir={cache}")
            assert result.exit_code == 0, result.output
            assert stat.S_IMODE(cache.stat().st_mode) == 0o700
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in cache.iterdir()}
            assert modes and set(modes.values()) == {expected}, modes
    finally:
        os.umask(previous)


def test_weights_are_checked_against_the_config_before_the_model_is_built(run, tmp_path):
    rewrite_checkpoint(run / STEP, "config.json", lambda config: {
        **config, "model": {**config["model"], "hidden_size": 8192, "num_layers": 8}})
    code, stderr, peak = run_measured(["eval", str(run / STEP), "--data", CORPUS],
                                      tmp_path)
    assert code == 2, stderr
    assert "do not fit the 'blt-entropy' model its config describes" in stderr
    assert peak < 1e9, f"{peak / 1e9:.1f} GB before the weights were checked"


def test_a_config_cannot_make_buffers_its_weights_do_not_justify(run, tmp_path):
    rewrite_checkpoint(run / STEP, "config.json", lambda config: {
        **config, "model": {**config["model"], "block_size": 30_000_000}})
    code, stderr, peak = run_measured(["eval", str(run / STEP), "--data", CORPUS],
                                      tmp_path)
    assert code == 2, stderr
    assert "rotary" in stderr.splitlines()[-1] and "model.block_size" in stderr
    assert peak < 600e6, f"{peak / 1e6:.0f} MB allocated for the buffers"


def nested(depth: int) -> str:
    return '{"step": 4, "deep": ' + "[" * depth + "]" * depth + "}"


def test_eval_never_parses_the_training_state(run, run_cli):
    rewrite_checkpoint(run / STEP, "training_state.json", lambda _: nested(600))
    result = run_cli("eval", str(run / STEP), "--data", CORPUS)
    assert result.exit_code == 0, result.output
    resumed = run_cli("train", "--resume", str(run), "--max-steps", "6")
    assert resumed.exit_code == 2, resumed.output
    assert "training_state.json is damaged: its JSON is nested too deeply" in \
        error_line(resumed)

"""Seeds of any size the schema allows, and the patch command's --no-progress (issue 23,
items 12 and 14): a seed above 2**32 trains and generates; one above 2**64 - 1 is a
config error naming the limit; `neat patch --no-progress` is accepted."""

from __future__ import annotations

import pytest

from ..train_utils import CORPUS, error_line, finished, set_args, tiny_settings  # noqa: F401

BIG_SEEDS = [2**32, 2**63, 2**64 - 1]


@pytest.mark.parametrize("seed", BIG_SEEDS)
def test_a_big_seed_trains(tmp_path, run_cli, seed):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache", training__max_steps=1,
                             training__save_steps=1)
    result = run_cli("train", *set_args(settings), "--seed", str(seed))
    assert result.exit_code == 0, result.output


def test_a_big_seed_generates(finished, run_cli):
    run, _ = finished
    outputs = {run_cli("generate", str(run), "--prompt", "def", "--max-bytes", "8",
                       "--seed", str(seed)).exit_code for seed in BIG_SEEDS}
    assert outputs == {0}


def test_a_seed_beyond_64_bits_is_a_config_error(tmp_path, run_cli):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache")
    result = run_cli("train", *set_args(settings), "--seed", str(2**64))
    assert result.exit_code == 2
    assert "run.seed" in error_line(result) and "18446744073709551615" in error_line(result)


def test_patch_accepts_no_progress(finished, tmp_path, run_cli):
    run, _ = finished
    text = tmp_path / "in.txt"
    text.write_text("def f(x):\n    return x\n")
    result = run_cli("patch", str(run), str(text), "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.stdout.replace("|", "").startswith("def f(x):")

"""Seeds of any size the schema allows, and the patch command's --no-progress (issue 23,
items 12 and 14): a seed above 2**63 trains and generates; one above 2**64 - 1 is a
config error naming the limit; `neat patch --no-progress` is accepted."""

from __future__ import annotations

from ..eval_helpers import tiny_blt
from ..train_utils import error_line, set_args, tiny_settings

BIGGEST = 2**64 - 1  # numpy's global seed takes 32 bits, torch's 64 (signed: 2**63)


def test_the_biggest_seed_trains(tmp_path, run_cli):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache", training__max_steps=1,
                             training__save_steps=1)
    result = run_cli("train", *set_args(settings), "--seed", str(BIGGEST))
    assert result.exit_code == 0, result.output


def test_big_seeds_generate_and_a_bigger_one_is_a_config_error(tmp_path, run_cli):
    checkpoint = tiny_blt(tmp_path / "run")

    def generate(seed: int):
        return run_cli("generate", str(checkpoint), "--prompt", "def", "--max-bytes", "8",
                       "--seed", str(seed))

    for seed in (2**32, 2**63, BIGGEST):
        result = generate(seed)
        assert result.exit_code == 0, result.output
    too_big = generate(2**64)  # was "unexpected ValueError: Overflow ...", exit 1
    assert too_big.exit_code == 2 and str(BIGGEST) in error_line(too_big), too_big.output


def test_a_seed_beyond_64_bits_is_a_config_error(tmp_path, run_cli):
    settings = tiny_settings(tmp_path / "run", tmp_path / "cache")
    result = run_cli("train", *set_args(settings), "--seed", str(2**64))
    assert result.exit_code == 2
    assert "run.seed" in error_line(result) and str(BIGGEST) in error_line(result)


def test_patch_accepts_no_progress(tmp_path, run_cli):
    checkpoint = tiny_blt(tmp_path / "run")
    text = tmp_path / "in.txt"
    text.write_text("def f(x):\n    return x\n")
    result = run_cli("patch", str(checkpoint), str(text), "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.stdout.replace("|", "").startswith("def f(x):")

"""A user's own Ctrl-C is a notice with exit code 130, not an error: it says where the
run stopped and how to continue, without "error:"."""

from __future__ import annotations

from neat_core.testing import plugin_registered
from neat_core.training import RunDirectory

from .ctrl_c import CtrlCAtStep
from .train_utils import set_args, tiny_settings


def test_ctrl_c_during_training_is_a_notice_with_exit_130(run_cli, tmp_path):
    run = tmp_path / "run"
    settings = tiny_settings(run, tmp_path / "cache", training__max_steps=50)
    with plugin_registered(CtrlCAtStep(), "ctrl-c"):
        result = run_cli("train", *set_args(settings))
    assert result.exit_code == 130
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("training interrupted (SIGINT) at step ")
    assert last.endswith(f"; checkpoint saved to {RunDirectory(run).latest()} (continue "
                         f"with: neat train --resume {run})")
    assert "error" not in result.stderr

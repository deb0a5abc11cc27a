"""Papercuts a newcomer met following the README and the quick start: the training bar's
last eval, the summary of a resumed run, `neat patch` on a run directory and `~`, the
text report's truncation note, and what `neat --help` imports."""

from __future__ import annotations

import subprocess
import sys

from neat_core.cli.train_cmd import summary
from neat_plugins.reports.text import truncated
from neat_plugins.trainers.progress import Progress

from .eval_helpers import tiny_blt


def test_the_training_bar_shows_the_last_evaluation_at_once(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stdout)  # the bar draws on "a terminal"
    with Progress(True, total=2, initial=0) as progress:
        progress.update(3.0, 1e-3, 1000.0)
        progress.set_eval(2.960)
        progress.update(2.9, 1e-3, 1000.0)
        progress.set_eval(2.735)  # the final eval comes after the last step
    drawn = capsys.readouterr().out
    assert "eval_bpb=2.735" in drawn.rsplit("\r", 1)[-1]


def test_a_resumed_runs_summary_keeps_this_session_and_all_sessions_apart():
    metrics = {"step": 3000, "session_s": 600.0, "elapsed_s": 2772.0,
               "bytes_per_second": 2217.0, "checkpoint": "runs/x/checkpoints/step-0003000"}
    first = summary(metrics).splitlines()[0]  # type: ignore[arg-type]
    assert first == ("trained to step 3000 (this session 10 min 0 s at 2,217 bytes/s; "
                     "46 min 12 s in all sessions)")


def test_patch_takes_a_run_directory_and_expands_the_home_directory(run_cli, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    text = tmp_path / "in.txt"
    text.write_text("hello")
    result = run_cli("patch", "~/run", str(text), "--mode", "static",
                     "--set", "backend.cpu.threads=1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("hell|o")
    assert "using checkpoint" in result.stderr


def test_the_text_report_does_not_claim_a_json_report_was_written():
    shown, more = truncated(list(range(36)))
    assert len(shown) == 25
    assert more == ["  … 11 more (the json report lists them all: --report json)"]


def test_help_imports_neither_torch_nor_the_prompt_and_output_libraries():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom neat_core.cli import cli\n"
            "result = CliRunner().invoke(cli, ['--help'])\n"
            "assert result.exit_code == 0 and 'menu' in result.output, result.output\n"
            "result = CliRunner().invoke(cli, ['menu', '--help'])\n"
            "assert result.exit_code == 0, result.output\n"
            "loaded = {'torch', 'prompt_toolkit', 'rich'} & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True)

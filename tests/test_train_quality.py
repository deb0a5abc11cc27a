"""What a run ends with: the best model it evaluated, whatever its last steps did."""

from __future__ import annotations

import pytest

import neat_core
from neat_core.checkpoint import load_checkpoint
from neat_core.training import read_metrics

from .train_utils import tiny_config


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_a_run_ends_with_the_best_model_it_evaluated(tmp_path, cache_dir):
    # a constant, too-high learning rate: held-out loss rises again at the end; the only
    # scheduled save is the last step's, so the best is kept because it was the best
    run = tmp_path / "run"
    metrics = neat_core.train(tiny_config(
        run, cache_dir, training__max_steps=12, training__eval_steps=1,
        training__save_steps=100, training__learning_rate=0.1,
        training__lr_schedule="constant", training__keep_last=1))
    evals = {r["step"]: r["eval_bpb"] for r in read_metrics(run) if r["kind"] == "eval"}
    best = min(evals, key=evals.__getitem__)
    assert evals[12] > evals[best] + 0.01  # the last evaluation was worse than the best
    assert metrics["best_step"] == best
    saved = load_checkpoint(run / "checkpoints" / "best")
    assert saved.meta["step"] == best and saved.meta["metrics"]["eval_bpb"] == evals[best]
    results = neat_core.evaluate(run)  # what `neat eval RUN` scores
    assert results["checkpoint"]["step"] == best

"""Quality that holds on small corpora: a run ends with the best model it evaluated, and\nturns dropout on once it sees its training data again."""

from __future__ import annotations

import logging

import pytest
import torch

import neat_core
from neat_core.checkpoint import load_checkpoint
from neat_core.training import read_metrics
from neat_plugins.trainers.repeat_dropout import RepeatDropout

from .backends_sim import logged
from .train_utils import losses, tiny_config


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


# --- dropout once the data repeats --------------------------------------------------------

def test_repeat_dropout_follows_the_passes_over_the_training_data():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.0))
    repeat = RepeatDropout(model, 0.2, train_bytes=1000)
    rates = [repeat.rate_at(seen) for seen in (0, 999, 1000, 1500, 2000, 9000)]
    assert rates == pytest.approx([0, 0, 0, 0.1, 0.2, 0.2])
    repeat.update(1500)
    assert model[1].p == pytest.approx(0.1)


@pytest.mark.parametrize("own, rate", [(0.3, 0.2), (0.0, 0.0)])
def test_a_model_with_its_own_dropout_or_a_rate_of_zero_is_left_alone(own, rate):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(own))
    repeat = RepeatDropout(model, rate, train_bytes=1000)
    repeat.update(5000)
    assert model[1].p == own and repeat.rate_at(5000) == 0


@pytest.fixture
def train_log():
    """The records of the ``neat.train`` logger."""
    with logged("neat.train") as records:
        yield records


def test_a_small_corpus_seen_again_trains_with_dropout_from_its_second_pass(tmp_path,
                                                                            train_log):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index in range(4):  # 3 files train (about 3.6 kB), 1 is held out
        (corpus / f"{index}.txt").write_text(
            " ".join(f"line {index}.{n}: the quick brown fox jumps" for n in range(30)))
    runs = {}
    for rate in (0.0, 0.2):
        run = tmp_path / f"run-{rate}"
        neat_core.train(tiny_config(
            run, tmp_path / "cache", **{"data.train": [str(corpus)],
                                        "data.eval_fraction": 0.25,
                                        "training.standard.repeat_dropout": rate},
            training__max_steps=150, training__eval_steps=150, training__save_steps=150))
        runs[rate] = losses(run)
    passes = 150 * 4 * 16 / (3 * 30 * 40)  # steps x bytes per step / about the train split
    assert 2 < passes < 3
    first_pass = 50  # before the end of the first pass, nothing differs
    assert [runs[0.0][s] for s in range(1, first_pass)] == \
        [runs[0.2][s] for s in range(1, first_pass)]
    assert runs[0.0][150] != runs[0.2][150]
    said = train_log.messages(logging.INFO)
    assert sum("sees its training data again" in line for line in said) == 1

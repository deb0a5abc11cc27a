"""Every field of the training section changes what a run does."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import neat_core
from neat_core.checkpoint import load_checkpoint
from neat_core.config import TrainingConfig
from neat_core.errors import UsageError
from neat_core.training import RunDirectory, read_metrics

from .train_utils import tiny_config


@attrs.frozen
class Run:
    metrics: dict
    records: list
    checkpoints: list
    weights: dict

    def train(self, key: str) -> list:
        return [r[key] for r in self.records if r["kind"] == "train"]

    def evals(self, key: str) -> list:
        return [r[key] for r in self.records if r["kind"] == "eval"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Run the tiny config with some settings (memoised per settings)."""
    cache = tmp_path_factory.mktemp("cache")
    runs: dict = {}

    def train(**settings) -> Run:
        key = tuple(sorted(settings.items()))
        if key not in runs:
            output = tmp_path_factory.mktemp("run")
            metrics = neat_core.train(tiny_config(output, cache, **settings))
            run = RunDirectory(output)
            last = load_checkpoint(run.latest())
            runs[key] = Run(metrics, read_metrics(output),
                            [step for step, _ in run.checkpoints()], last.state_dict)
        return runs[key]

    return train


def differs(a: dict, b: dict) -> bool:
    return any(not (a[k] == b[k]).all() for k in a)


# field -> (settings, check(baseline, changed)[, baseline settings])
CHANGES = {
    "max_steps": ({"training__max_steps": 3}, lambda b, c: c.metrics["step"] == 3 != b.metrics["step"]),
    "batch_size": ({"training__batch_size": 2},
                   lambda b, c: c.train("bytes_seen")[0] * 2 == b.train("bytes_seen")[0]),
    "gradient_accumulation_steps": ({"training__gradient_accumulation_steps": 2},
                                    lambda b, c: c.train("bytes_seen")[0] == 2 * b.train("bytes_seen")[0]),
    "learning_rate": ({"training__learning_rate": 1e-2},
                      lambda b, c: c.train("lr")[1] == pytest.approx(1e-2) != b.train("lr")[1]),
    "min_learning_rate": ({"training__min_learning_rate": 0.0},
                          lambda b, c: c.train("lr")[-1] < b.train("lr")[-1]),
    "lr_schedule": ({"training__lr_schedule": "constant"},
                    lambda b, c: c.train("lr")[2:] == [c.train("lr")[1]] * 2 != b.train("lr")[2:]),
    "warmup_steps": ({"training__warmup_steps": 2},
                     lambda b, c: c.train("lr")[0] < b.train("lr")[0]),
    "weight_decay": ({"training__weight_decay": 0.5}, lambda b, c: differs(b.weights, c.weights)),
    "adam_beta1": ({"training__adam_beta1": 0.5}, lambda b, c: c.train("loss")[1:] != b.train("loss")[1:]),
    "adam_beta2": ({"training__adam_beta2": 0.5}, lambda b, c: c.train("loss")[1:] != b.train("loss")[1:]),
    "max_grad_norm": ({"training__max_grad_norm": None},
                      lambda b, c: c.train("grad_norm") == [None] * 4 and b.train("grad_norm")[0] > 0),
    "log_steps": ({"training__log_steps": 2}, lambda b, c: [r["step"] for r in c.records if r["kind"] == "train"] == [2, 4]),
    "eval_steps": ({"training__eval_steps": 1}, lambda b, c: c.evals("step") == [1, 2, 3, 4] != b.evals("step")),
    "eval_batches": ({"training__eval_batches": 1},
                     lambda b, c: c.evals("eval_loss")[0] != b.evals("eval_loss")[0]),
    "save_steps": ({"training__save_steps": 3}, lambda b, c: c.checkpoints == [3, 4] != b.checkpoints),
    "keep_last": ({"training__save_steps": 1, "training__keep_last": 1},
                  lambda b, c: b.checkpoints == [1, 2, 3, 4] and len(c.checkpoints) < 4
                  and c.checkpoints[-1] == 4,
                  {"training__save_steps": 1, "training__keep_last": 4}),
    "max_minutes": ({"training__max_minutes": 1e-9, "training__max_steps": 50},
                    lambda b, c: c.metrics["step"] == 1),
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_field_changes_behaviour(trained, field):
    settings, check, *baseline = CHANGES[field]
    assert check(trained(**(baseline[0] if baseline else {})), trained(**settings))


def test_init_from_starts_from_the_weights_of_a_checkpoint(trained):
    start = trained()
    # barely moved from the checkpoint's weights, where a fresh start is far from them
    tuned = trained(training__init_from=start.metrics["checkpoint"],
                    training__learning_rate=1e-7)
    fresh = trained(training__learning_rate=1e-7)
    gap = lambda a, b: max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    assert tuned.train("step")[0] == 1 and tuned.metrics["step"] == 4
    assert gap(start.weights, tuned.weights) < gap(start.weights, fresh.weights) / 100


def test_every_training_field_is_covered():
    covered = set(CHANGES) | {"trainer", "compile", "init_from"}  # below, test_train_slow.py
    fields = {f.name for f in attrs.fields(TrainingConfig) if not f.metadata.get("plugins")}
    assert fields == covered


def test_unknown_trainer_lists_the_registered_ones(tmp_path):
    with pytest.raises(UsageError, match="unknown trainer 'fancy'") as error:
        neat_core.train(tiny_config(tmp_path, tmp_path, training__trainer="fancy"))
    assert "standard" in error.value.hint
    assert not Path(tmp_path / "checkpoints").exists()

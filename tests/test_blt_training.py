"""Training the full BLT: the frozen entropy model, self-contained checkpoints, learning,
and the whole pipeline from the command line."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch

import neat_core
from neat_core.checkpoint import load_checkpoint, load_model
from neat_core.config import Override, load_config

from .blt_util import (
    one_torch_thread,  # noqa: F401 - autouse fixture
    save_entropy_checkpoint,
    tiny_blt,
    train,
)
from .train_utils import set_args, tiny_settings

BLT_SETTINGS = {"model.name": "blt", "model.local_size": 16, "model.local_heads": 2,
                "model.latent_size": 32, "model.latent_heads": 2, "model.block_size": 32,
                "model.hash_ngrams": [3], "model.hash_buckets": 64,
                "model.patching": "global", "model.threshold": 1.5}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def blt_settings(output_dir, cache_dir, entropy: str, **settings) -> dict:
    """The tiny training settings with the tiny BLT (model.name first) instead of the
    entropy model."""
    tiny = {key: value for key, value in tiny_settings(output_dir, cache_dir, **settings).items()
            if not key.startswith("model.")}
    return {**BLT_SETTINGS, "model.entropy_checkpoint": entropy, **tiny}


def blt_run_config(tmp_path, cache_dir, entropy: str):
    values = blt_settings(tmp_path / "run", cache_dir, entropy, training__max_steps=6,
                          training__learning_rate=0.05, training__weight_decay=0.5)
    return load_config(overrides=[Override(k, v, raw=False) for k, v in values.items()]).config


def test_the_entropy_model_stays_frozen_and_the_checkpoint_is_self_contained(tmp_path,
                                                                             cache_dir):
    entropy = save_entropy_checkpoint(tmp_path / "entropy")
    original = load_checkpoint(entropy).state_dict
    metrics = neat_core.train(blt_run_config(tmp_path, cache_dir, str(entropy)))
    saved = load_checkpoint(metrics["checkpoint"])
    inside = {k.removeprefix("patcher.entropy_model."): v for k, v in saved.state_dict.items()
              if k.startswith("patcher.entropy_model.")}
    assert inside.keys() == original.keys()
    assert all(torch.equal(inside[k], original[k]) for k in original)  # bit-identical
    # the rest did train
    fresh = tiny_blt(**{k.removeprefix("model."): v for k, v in BLT_SETTINGS.items()
                        if k != "model.name"}, entropy_checkpoint=str(entropy))
    assert not torch.equal(saved.state_dict["latent.start"], fresh.latent.start.detach())
    assert saved.meta["flops_per_byte"]["mean_patch_size"] == pytest.approx(
        saved.state_dict["patch_counts"][0].item() / saved.state_dict["patch_counts"][1].item())

    model, config = load_model(metrics["checkpoint"])
    idx = torch.randint(0, 256, (2, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(idx)
    shutil.rmtree(entropy)  # loading needs no other file
    reloaded, _ = load_model(metrics["checkpoint"])
    with torch.no_grad():
        assert torch.equal(reloaded(idx), expected)
    assert config.model.entropy == load_checkpoint(metrics["checkpoint"]).config.model.entropy


def test_training_calibrates_the_threshold_to_the_target_patch_size(tmp_path, cache_dir):
    from neat_core.training.run import resume_config

    entropy = save_entropy_checkpoint(tmp_path / "entropy")
    values = {**blt_settings(tmp_path / "run", cache_dir, str(entropy),
                             training__max_steps=1), "model.target_patch_size": 3.0}
    metrics = neat_core.train(load_config(
        overrides=[Override(k, v, raw=False) for k, v in values.items()]).config)
    saved = load_checkpoint(metrics["checkpoint"])
    theta = saved.config.model.threshold
    assert theta != BLT_SETTINGS["model.threshold"] and saved.config.model.target_patch_size == 3
    run_config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert run_config["model"]["threshold"] == theta
    # the model then cut patches of about 3 bytes while it trained
    assert saved.meta["flops_per_byte"]["mean_patch_size"] == pytest.approx(3.0, rel=0.2)
    shown = neat_core.analyze(metrics["checkpoint"], text="def f(x):\n    return x\n",
                              overrides={"backend.name": "cpu"})["results"]["patches"]
    assert shown["patching"]["calibrated"] and shown["patching"]["threshold"] == theta
    assert shown["patching"]["target_patch_size"] == 3.0
    # a resumed run keeps it: only a new run calibrates
    resolved = load_config(overrides=[Override("training.max_steps", 2, raw=False)])
    resumed = neat_core.train(resume_config(metrics["checkpoint"], resolved),
                              resume=metrics["checkpoint"])
    assert load_checkpoint(resumed["checkpoint"]).config.model.threshold == theta


def test_no_gradient_reaches_the_entropy_model(tmp_path):
    entropy = save_entropy_checkpoint(tmp_path / "entropy")
    model = tiny_blt(patching="global", threshold=1.5, entropy_checkpoint=str(entropy))
    idx = torch.randint(0, 256, (2, 33))
    _, loss = model(idx[:, :-1], idx[:, 1:])
    loss.backward()
    assert all(p.grad is None for p in model.patcher.entropy_model.parameters())
    assert model.latent.start.grad is not None


@pytest.mark.parametrize("patching", ["static", "space"])
def test_loss_falls_on_a_tiny_corpus(patching):
    model = tiny_blt(patching=patching)
    losses = train(model, steps=40, lr=1e-2)
    assert losses[0] == pytest.approx(math.log(256), abs=0.3)  # uniform at init
    assert sum(losses[-5:]) / 5 < 0.6 * losses[0]


@pytest.mark.slow
def test_pipeline_entropy_model_then_blt_then_eval_and_compare(run_cli, tmp_path, cache_dir):
    entropy_run, blt_run = tmp_path / "entropy", tmp_path / "blt"
    result = run_cli("train", *set_args(tiny_settings(entropy_run, cache_dir,
                                                      training__max_steps=20,
                                                      model__block_size=16)))
    assert result.exit_code == 0, result.stderr
    blt = blt_settings(blt_run, cache_dir, str(entropy_run / "checkpoints" / "best"),
                       training__max_steps=20)
    result = run_cli("train", *set_args(blt))
    assert result.exit_code == 0, result.stderr
    assert "model blt:" in result.stderr and "entropy model" in result.stderr

    result = run_cli("eval", str(blt_run), "--backend", "cpu", "--report", "json",
                     "--out", str(tmp_path / "eval"))
    assert result.exit_code == 0, result.stderr
    evaluated = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert evaluated["checkpoint"]["model"] == "blt"
    assert evaluated["flops_per_byte"]["entropy_model"] > 0
    assert 0 < evaluated["results"]["bits-per-byte"]["overall"]["bits_per_byte"] < 8.5

    result = run_cli("compare", str(blt_run), str(entropy_run), "--backend", "cpu",
                     "--report", "json", "--out", str(tmp_path / "compare"))
    assert result.exit_code == 0, result.stderr
    compared = json.loads(next((tmp_path / "compare").glob("*.json")).read_text())
    assert [run["checkpoint"]["model"] for run in compared["runs"]] == ["blt", "blt-entropy"]
    assert all(run["results"]["bits-per-byte"]["overall"]["bytes"] ==
               compared["runs"][0]["results"]["bits-per-byte"]["overall"]["bytes"]
               for run in compared["runs"])

"""Checkpoints: round trips, training state without pickle, atomic writes, bad inputs."""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import neat_core
from neat_core.checkpoint import load_checkpoint, load_model, save_checkpoint
from neat_core.config import to_dict
from neat_core.errors import CheckpointError
from neat_plugins.blt import compute_entropies

from .blt_util import (
    CORPUS,
    one_torch_thread,  # noqa: F401 - autouse fixture
    tiny_config,
    tiny_model,
    train,
)
from .checkpoint_util import forge_checksums

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def saved(tmp_path):
    model = tiny_model(seed=5)
    path = save_checkpoint(tmp_path / "ckpt", model, tiny_config(), step=5,
                           metrics={"loss": 1.5})
    return path, model


def test_round_trip_gives_identical_weights_and_entropies(saved):
    path, model = saved
    loaded, config = load_model(path)
    assert config == tiny_config()
    assert not loaded.training
    for key, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], tensor), key
    np.testing.assert_array_equal(compute_entropies(loaded, CORPUS[:300]),
                                  compute_entropies(model, CORPUS[:300]))


def test_checkpoint_describes_itself(saved):
    path, _ = saved
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "meta.json",
                                                      "model.safetensors"]
    meta = json.loads((path / "meta.json").read_text())
    assert meta["model"] == "blt-entropy" and meta["step"] == 5
    assert meta["metrics"] == {"loss": 1.5}
    assert {"neat", "torch", "python"} <= meta["versions"].keys() and meta["created"]
    assert json.loads((path / "config.json").read_text()) == to_dict(tiny_config())
    checkpoint = load_checkpoint(path)
    assert checkpoint.model_name == "blt-entropy" and checkpoint.training_state is None


def test_lazy_exports_from_neat_core(saved):
    path, _ = saved
    assert neat_core.load_checkpoint is load_checkpoint
    assert neat_core.load_model(path)[1] == tiny_config()


def test_tied_weights_round_trip(tmp_path):
    model = tiny_model(tie_weights=True)
    path = save_checkpoint(tmp_path / "tied", model, tiny_config(tie_weights=True))
    loaded, _ = load_model(path)
    assert loaded.head.weight is loaded.embed.weight
    assert torch.equal(loaded.head.weight, model.head.weight)


def test_training_state_round_trips_without_pickle(tmp_path):
    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    train(model, steps=2)
    model(torch.zeros(1, 4, dtype=torch.long)).sum().backward()
    optimizer.step()
    state = {"optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(),
             "python_rng": random.Random(3).getstate(),
             "numpy_rng": np.random.RandomState(4).get_state(),
             "sampler": {"position": 17, "order": [3, 1, 2]}, "tricky": {"__tensor__": "x"}}
    path = save_checkpoint(tmp_path / "ckpt", model, tiny_config(), training_state=state)
    restored = load_checkpoint(path).training_state
    assert "pickle" not in (path / "training_state.json").read_text()
    assert restored["sampler"] == state["sampler"] and restored["tricky"] == state["tricky"]
    assert restored["python_rng"] == state["python_rng"]
    assert torch.equal(restored["torch_rng"], state["torch_rng"])
    np.testing.assert_array_equal(restored["numpy_rng"][1], state["numpy_rng"][1])
    assert restored["numpy_rng"][0] == "MT19937"
    # the optimizer continues exactly as the original would
    twin = tiny_model()
    twin.load_state_dict(model.state_dict())
    twin_optimizer = torch.optim.AdamW(twin.parameters(), lr=1e-2)
    twin_optimizer.load_state_dict(restored["optimizer"])
    for net, opt in ((model, optimizer), (twin, twin_optimizer)):
        opt.zero_grad()
        net(torch.arange(8).unsqueeze(0)).square().mean().backward()
        opt.step()
    for key, tensor in model.state_dict().items():
        assert torch.equal(twin.state_dict()[key], tensor), key


def test_unstorable_training_state_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="holds a object at 'state/hook'"):
        save_checkpoint(tmp_path / "c", tiny_model(), tiny_config(),
                        training_state={"hook": object()})
    assert not list(tmp_path.iterdir())  # no checkpoint, no temporary directory


def test_saving_again_replaces_the_checkpoint_and_leaves_no_temporary_files(saved):
    path, model = saved
    save_checkpoint(path, model, tiny_config(), step=9)
    assert load_checkpoint(path).meta["step"] == 9
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt"]


def test_a_save_that_dies_midway_leaves_the_previous_checkpoint(saved, monkeypatch):
    path, model = saved
    real_rename = os.rename

    def die_before_the_new_one_is_in_place(src, dst):
        if Path(src).name.startswith(".ckpt.tmp-"):
            raise KeyboardInterrupt  # as if killed between the two renames
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", die_before_the_new_one_is_in_place)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, tiny_config(), step=9)
    monkeypatch.undo()
    assert load_checkpoint(path).meta["step"] == 5  # the previous one, moved aside
    save_checkpoint(path, model, tiny_config(), step=10)
    assert load_checkpoint(path).meta["step"] == 10
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt"]


KILL_WHILE_SAVING = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from neat_core.checkpoint import save_checkpoint
    from tests.blt_util import tiny_config, tiny_model
    from tests.faults.kill_on_event import arm
    config, model = tiny_config(), tiny_model()
    save_checkpoint(sys.argv[2], model, config, step=1)
    arm(sys.argv[3])
    save_checkpoint(sys.argv[2], model, config, step=2)
""")


@pytest.mark.slow
@pytest.mark.parametrize("event, step, names", [
    # half-way through the weights (the first file) or meta.json (the last one)
    ("write:.ckpt.tmp-", 1, [".ckpt.tmp-*", "ckpt"]),
    ("write:meta.json", 1, [".ckpt.tmp-*", "ckpt"]),
    ("rename:1", 1, [".ckpt.previous", ".ckpt.tmp-*"]),  # the old one moved aside
    ("rename:2", 2, [".ckpt.previous", "ckpt"]),  # the new one in place, the old not gone
])
def test_kill_9_while_saving_leaves_a_loadable_checkpoint(tmp_path, event, step, names):
    target = tmp_path / "ckpt"
    writer = subprocess.run([sys.executable, "-c", KILL_WHILE_SAVING, str(REPO), str(target),
                             event], capture_output=True, text=True, timeout=120)
    assert writer.returncode == -signal.SIGKILL, writer.stderr  # it died in the 2nd save
    assert sorted(re.sub(r"tmp-\w+$", "tmp-*", p.name) for p in tmp_path.iterdir()) == names
    checkpoint = load_checkpoint(target)  # never raises: old or new, always whole
    assert checkpoint.meta["step"] == step


# --- bad checkpoints ---------------------------------------------------------------

def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope")


def test_missing_config_json(saved):
    path, _ = saved
    (path / "config.json").unlink()
    with pytest.raises(CheckpointError, match="incomplete: config.json is missing"):
        load_checkpoint(path)


def test_missing_weights(saved):
    path, _ = saved
    (path / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="incomplete: model.safetensors is missing"):
        load_checkpoint(path)


def test_damaged_weights_fail_the_checksum(saved):
    path, _ = saved
    weights = path / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-10] ^= 0xFF  # a flipped bit in the tensor data, the header still parses
    weights.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="model.safetensors is damaged: its checksum"):
        load_checkpoint(path)


def test_truncated_weights_are_damaged(saved):
    path, _ = saved
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    forge_checksums(path)  # e.g. written by another tool: safetensors itself must notice
    with pytest.raises(CheckpointError, match="model.safetensors is damaged"):
        load_checkpoint(path)


def test_damaged_json(saved):
    path, _ = saved
    (path / "meta.json").write_text('{"format": "neat-checkpoint", ')
    with pytest.raises(CheckpointError, match="meta.json is damaged"):
        load_checkpoint(path)


def test_a_directory_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "meta.json").write_text("[]")
    with pytest.raises(CheckpointError, match="not the metadata of a NEAT checkpoint"):
        load_checkpoint(tmp_path)


def test_model_type_that_no_plugin_provides(saved):
    path, _ = saved
    config = json.loads((path / "config.json").read_text())
    config["model"]["name"] = "gpt-9"
    (path / "config.json").write_text(json.dumps(config))
    forge_checksums(path)
    with pytest.raises(CheckpointError, match="model of type 'gpt-9'") as error:
        load_checkpoint(path)
    assert "blt-entropy" in error.value.hint


def test_meta_and_config_disagree_on_the_model(saved):
    path, _ = saved
    meta = json.loads((path / "meta.json").read_text())
    meta["model"] = "other"
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="meta.json says model 'other'"):
        load_checkpoint(path)


def test_asking_for_another_model_type(saved):
    path, _ = saved

    class OtherConfig:
        name = "other-model"

    with pytest.raises(CheckpointError, match="holds a 'blt-entropy' model, not 'other-model'"):
        load_checkpoint(path).build_model(model_config=OtherConfig())


def test_shape_mismatch_names_the_tensor(saved):
    path, _ = saved
    config = json.loads((path / "config.json").read_text())
    config["model"]["hidden_size"] = 64
    (path / "config.json").write_text(json.dumps(config))
    forge_checksums(path)
    with pytest.raises(CheckpointError, match=r"do not fit .*embed.weight has shape "
                                              r"\(256, 32\), the model \(256, 64\)"):
        load_model(path)


def test_pickled_files_are_refused_and_never_run(saved, tmp_path):
    path, model = saved
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    save_checkpoint(path, model, tiny_config(), training_state={"step": 1})
    (path / "training_state.safetensors").write_bytes(pickle.dumps(Payload()))
    torch.save({"weights": Payload()}, path / "model.safetensors")
    forge_checksums(path)
    with pytest.raises(CheckpointError, match="is damaged"):
        load_checkpoint(path)
    (path / "model.safetensors").unlink()
    save_file_for = save_checkpoint(tmp_path / "other", model, tiny_config())
    (path / "model.safetensors").write_bytes((save_file_for / "model.safetensors").read_bytes())
    forge_checksums(path)
    with pytest.raises(CheckpointError, match="training_state.safetensors is damaged"):
        load_checkpoint(path)
    assert not marker.exists()


def test_will_not_replace_something_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match="not a checkpoint is there"):
        save_checkpoint(tmp_path, tiny_model(), tiny_config())
    assert (tmp_path / "notes.txt").read_text() == "keep me"

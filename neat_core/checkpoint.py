"""Self-describing checkpoints: safetensors weights + JSON config and metadata.

A checkpoint is a directory::

    model.safetensors           the model's state_dict
    config.json                 the full resolved NeatConfig (``to_dict``)
    meta.json                   model name, step, metrics, versions, created, checksums
    training_state.safetensors  optional: every tensor of the training state
    training_state.json         optional: the rest of it, tensors replaced by placeholders

Nothing is ever unpickled. Writes are atomic: files go to a temporary sibling directory
that is renamed into place, so a kill at any moment leaves the previous checkpoint of
that name loadable. torch and safetensors are imported inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import attrs

from . import __version__
from .config import NeatConfig, ResolvedConfig, config_from_dict, load_config, to_dict
from .config.loader import Override, checkpoint_layer
from .config.tree import flatten
from .errors import CheckpointError, ConfigError
from .flops import model_flops
from .registry import get_registry

if TYPE_CHECKING:
    import torch

log = logging.getLogger("neat.checkpoint")

FORMAT = "neat-checkpoint"
FORMAT_VERSION = 1
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
META_FILE = "meta.json"
STATE_TENSORS_FILE = "training_state.safetensors"
STATE_JSON_FILE = "training_state.json"
_TENSOR, _ARRAY, _TUPLE, _DICT = "__tensor__", "__ndarray__", "__tuple__", "__dict__"
_MARKERS = {_TENSOR, _ARRAY, _TUPLE, _DICT}


@attrs.frozen
class Checkpoint:
    """A loaded checkpoint; ``state_dict`` tensors are on the CPU."""

    path: Path
    config: NeatConfig
    meta: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    training_state: Any = None

    @property
    def model_name(self) -> str:
        return self.config.model.name

    def build_model(self, device: Any = "cpu", model_config: Any = None) -> torch.nn.Module:
        """The registered model rebuilt from ``model_config`` (default: the checkpoint's
        own) with these weights, on ``device``, in eval mode."""
        model_config = model_config or self.config.model
        if model_config.name != self.model_name:
            raise CheckpointError(f"checkpoint {self.path} holds a '{self.model_name}' model, "
                                  f"not '{model_config.name}'",
                                  hint=f"drop the model.name setting, or use a "
                                       f"'{model_config.name}' checkpoint")
        from .models import build_model

        model = build_model(model_config)
        _check_weights_fit(self, model.state_dict())
        model.load_state_dict(self.state_dict)
        return model.to(device).eval()


# --- saving --------------------------------------------------------------------------

def save_checkpoint(path: str | Path, model: torch.nn.Module, config: NeatConfig, *,
                    step: int = 0, metrics: Mapping[str, Any] | None = None,
                    training_state: Any = None) -> Path:
    """Write a checkpoint directory at ``path`` atomically (replacing one of that name).

    ``training_state`` is a nested dict/list/tuple of JSON scalars, torch tensors and
    numpy arrays (optimizer state_dict, RNG states, sampler state, ...).
    """
    from safetensors.torch import save_file

    path = Path(path)
    _check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    except OSError as error:
        raise CheckpointError(f"cannot write a checkpoint in {path.parent}: "
                              f"{error.strerror or error}",
                              hint="choose a writable directory") from None
    try:
        save_file(_storable(_unwrap(model).state_dict()), tmp / MODEL_FILE)
        files = [MODEL_FILE]
        if training_state is not None:
            tensors: dict[str, Any] = {}
            structure = _encode(training_state, tensors, "state")
            save_file(_storable(tensors), tmp / STATE_TENSORS_FILE)
            _write_json(tmp / STATE_JSON_FILE, structure, indent=None)
            files.append(STATE_TENSORS_FILE)
        _write_json(tmp / CONFIG_FILE, to_dict(config))
        _write_json(tmp / META_FILE, _meta(config, step, metrics, tmp, files,
                                           model_flops(_unwrap(model))))
        _finish_files(tmp)
        _move_into_place(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_replaceable(path: Path) -> None:
    """Only a checkpoint (or an empty directory) may be replaced by a new one."""
    if path.is_dir() and ((path / META_FILE).is_file() or not any(path.iterdir())):
        return
    if path.exists():
        raise CheckpointError(f"cannot save a checkpoint at {path}: something that is not "
                              f"a checkpoint is there", hint="choose another path, or move "
                                                             "it away")


def _unwrap(model: Any) -> Any:
    """The plain module inside torch.compile and (Distributed)DataParallel wrappers."""
    from torch.nn.parallel import DataParallel, DistributedDataParallel

    while True:
        if isinstance(model, (DataParallel, DistributedDataParallel)):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def _storable(tensors: Mapping[str, Any]) -> dict[str, Any]:
    """Contiguous CPU tensors, copying any that share memory (e.g. tied weights)."""
    seen: set[tuple[int, int]] = set()
    out = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        key = (tensor.untyped_storage().data_ptr(), tensor.untyped_storage().nbytes())
        if key in seen:
            tensor = tensor.clone()
        seen.add(key)
        out[name] = tensor
    return out


def _meta(config: NeatConfig, step: int, metrics: Mapping[str, Any] | None, directory: Path,
          files: list[str], flops: dict[str, float] | None) -> dict[str, Any]:
    import safetensors
    import torch

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": config.model.name,
        "step": step,
        "metrics": dict(metrics or {}),
        "flops_per_byte": flops,
        "versions": {"neat": __version__, "torch": torch.__version__,
                     "safetensors": safetensors.__version__,
                     "python": platform.python_version()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sha256": {name: _sha256(directory / name) for name in files},
    }


def _write_json(path: Path, data: Any, indent: int | None = 2) -> None:
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _finish_files(directory: Path) -> None:
    """Flush everything to disk; permissions as for any new file (mkdtemp makes 0700)."""
    umask = os.umask(0)
    os.umask(umask)
    for name in os.listdir(directory):
        os.chmod(directory / name, 0o666 & ~umask)
        _fsync(directory / name)
    os.chmod(directory, 0o777 & ~umask)
    _fsync(directory)


def _fsync(path: Path) -> None:
    if os.name == "nt" and path.is_dir():  # Windows cannot open directories
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_into_place(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` to ``path``; an existing ``path`` is first renamed aside and only
    deleted once the new one is in place (``load_checkpoint`` falls back to it)."""
    backup = _backup_path(path)
    if path.exists():
        if backup.exists():
            shutil.rmtree(backup)
        os.rename(path, backup)
    os.rename(tmp, path)
    _fsync(path.parent)
    shutil.rmtree(backup, ignore_errors=True)
    for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by killed writers
        shutil.rmtree(stale, ignore_errors=True)


def _backup_path(path: Path) -> Path:
    return path.parent / f".{path.name}.previous"


# --- training state: tensors to safetensors, structure to JSON -------------------------

def _encode(obj: Any, tensors: dict[str, Any], path: str) -> Any:
    import numpy as np
    import torch

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, torch.Tensor):
        tensors[path] = obj
        return {_TENSOR: path}
    if isinstance(obj, np.ndarray):
        tensors[path] = torch.from_numpy(np.ascontiguousarray(obj))
        return {_ARRAY: path}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {_TUPLE: [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not _MARKERS & obj.keys():
            return {k: _encode(v, tensors, f"{path}/{k}") for k, v in obj.items()}
        return {_DICT: [[_encode(k, tensors, f"{path}/key{i}"), _encode(v, tensors, f"{path}/{i}")]
                        for i, (k, v) in enumerate(obj.items())]}
    raise CheckpointError(f"training_state holds a {type(obj).__name__} at '{path}', which "
                          f"a checkpoint cannot store",
                          hint="use dicts, lists, tuples, JSON scalars, tensors and numpy "
                               "arrays")


def _decode(obj: Any, tensors: Mapping[str, Any]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1 and _MARKERS & obj.keys():
        (marker, value), = obj.items()
        if marker in (_TENSOR, _ARRAY):
            if value not in tensors:
                raise KeyError(value)
            return tensors[value] if marker == _TENSOR else tensors[value].numpy()
        if marker == _TUPLE:
            return tuple(_decode(v, tensors) for v in value)
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value}
    return {k: _decode(v, tensors) for k, v in obj.items()}


# --- loading -------------------------------------------------------------------------

def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify a checkpoint directory (CheckpointError naming the problem)."""
    path = _checkpoint_dir(Path(path))
    meta = _read_json(path, META_FILE)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path / META_FILE} is not the metadata of a NEAT checkpoint",
                              hint="pass a directory written by `neat train` or "
                                   "save_checkpoint")
    config = _read_config(path, meta)
    state_dict = _read_tensors(path, MODEL_FILE, meta)
    training_state = None
    if (path / STATE_JSON_FILE).exists():
        structure = _read_json(path, STATE_JSON_FILE)
        tensors = _read_tensors(path, STATE_TENSORS_FILE, meta)
        try:
            training_state = _decode(structure, tensors)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"{path / STATE_JSON_FILE} is damaged: it refers to "
                                  f"{error} missing from {STATE_TENSORS_FILE}") from None
    return Checkpoint(path, config, meta, state_dict, training_state)


def load_model(path: str | Path, device: Any = "cpu") -> tuple[torch.nn.Module, NeatConfig]:
    """The model saved at ``path``, rebuilt from its own config (eval mode), and the
    config."""
    checkpoint = load_checkpoint(path)
    return checkpoint.build_model(device), checkpoint.config


def resolve_over_checkpoint(resolved: ResolvedConfig, checkpoint: Checkpoint) -> ResolvedConfig:
    """The checkpoint's config with the user's explicit values (config file, flags,
    ``--set``) on top — for commands that run a saved model."""
    overrides = [Override(path, value, resolved.sources[path], raw=False)
                 for path, value in flatten(to_dict(resolved.config)).items()
                 if resolved.sources.get(path, "default") != "default"]
    return load_config(overrides=overrides, base=to_dict(checkpoint.config))


def _checkpoint_dir(path: Path) -> Path:
    if path.is_file() and path.name in (MODEL_FILE, CONFIG_FILE, META_FILE):
        path = path.parent
    if not path.exists():
        backup = _backup_path(path)
        if backup.is_dir():  # a save was killed between its two renames
            log.warning("checkpoint %s is missing; using %s, left by an interrupted save",
                        path, backup)
            return backup
        raise CheckpointError(f"checkpoint not found: {path}",
                              hint="pass a run directory (e.g. runs/quickstart) or one of "
                                   "its checkpoints (runs/quickstart/checkpoints/step-N)")
    if not path.is_dir():
        raise CheckpointError(f"{path} is not a checkpoint directory",
                              hint=f"a checkpoint is a directory holding {MODEL_FILE}, "
                                   f"{CONFIG_FILE} and {META_FILE}")
    return path


def _read_json(directory: Path, name: str) -> Any:
    file = directory / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {directory} is incomplete: {name} is missing",
                              hint="use another checkpoint of the run")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{file} is damaged: {error}",
                              hint="use another checkpoint of the run") from None


def _read_config(directory: Path, meta: Mapping[str, Any]) -> NeatConfig:
    data = _read_json(directory, CONFIG_FILE)
    model = data.get("model") if isinstance(data, dict) else None
    name = model.get("name") if isinstance(model, dict) else None
    models = get_registry().models
    if name not in models:
        raise CheckpointError(f"checkpoint {directory} holds a model of type '{name}', "
                              f"which no installed plugin provides",
                              hint=f"install the plugin that registers it; registered "
                                   f"models: {', '.join(sorted(models)) or 'none'}")
    if meta.get("model") != name:
        raise CheckpointError(f"checkpoint {directory} is inconsistent: {META_FILE} says "
                              f"model '{meta.get('model')}', {CONFIG_FILE} says '{name}'",
                              hint="one of the files was replaced; use another checkpoint")
    try:
        return config_from_dict(checkpoint_layer(data))
    except ConfigError as error:
        raise CheckpointError(f"{directory / CONFIG_FILE} is not a valid config: "
                              f"{error.message}", hint=error.hint) from None


def _read_tensors(directory: Path, name: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = directory / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {directory} is incomplete: {name} is missing",
                              hint="use another checkpoint of the run")
    expected = meta.get("sha256", {}).get(name)
    if expected is not None and _sha256(file) != expected:
        raise CheckpointError(f"{file} is damaged: its checksum differs from the one in "
                              f"{META_FILE}", hint="use another checkpoint of the run")
    try:
        return load_file(file, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{file} is damaged: {error}",
                              hint="use another checkpoint of the run") from None


def _check_weights_fit(checkpoint: Checkpoint, expected: Mapping[str, Any]) -> None:
    saved = checkpoint.state_dict
    problems = [f"{key} missing" for key in expected if key not in saved]
    problems += [f"unexpected {key}" for key in saved if key not in expected]
    problems += [f"{key} has shape {tuple(saved[key].shape)}, the model "
                 f"{tuple(tensor.shape)}"
                 for key, tensor in expected.items()
                 if key in saved and saved[key].shape != tensor.shape]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise CheckpointError(f"the weights in {checkpoint.path / MODEL_FILE} do not fit the "
                              f"'{checkpoint.model_name}' model its config describes: "
                              f"{'; '.join(problems[:3])}{more}",
                              hint="model settings must match the checkpoint's; drop "
                                   "model.* overrides or use a matching checkpoint")

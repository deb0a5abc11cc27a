"""Self-describing checkpoints: safetensors weights + JSON config and metadata.

A checkpoint is a directory::

    model.safetensors           the model's state_dict
    config.json                 the full resolved NeatConfig (``to_dict``)
    meta.json                   model name, step, metrics, versions, created, checksums
    training_state.safetensors  optional: every tensor of the training state
    training_state.json         optional: the rest of it, tensors replaced by placeholders

Nothing is ever unpickled. Every other file is covered by a SHA-256 checksum in
``meta.json``; a missing, null or ill-typed checksum is an error, never a skipped check,
and so are non-finite weights and a model setting that differs from the one the weights
were trained with. Writes are atomic: files go to a temporary sibling directory that is
renamed into place, so a kill at any moment leaves the previous checkpoint of that name
loadable. torch and safetensors are imported inside the functions.

A checkpoint is untrusted input. Its config is sealed by the NEAT of the user who saved
it (:mod:`neat_core.trust`); one that is not this user's chooses no local path: its
``LOCATIONS`` (output dir, data sources, cache dir, callbacks) are left out of the
config built over it (:func:`checkpoint_base`), and data it names is offered as a hint
only (:func:`withheld_data`). Before a model is allocated, the weights' shapes are
checked against the one its config describes (built on torch's meta device), and a
foreign config may not make buffers its weights do not justify. The training state,
which only a resume needs, is parsed only when asked for, its nesting bounded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, TypeGuard

import attrs

from ._version import __version__
from .config import NeatConfig, Overrides, ResolvedConfig, config_from_dict, load_config, to_dict
from .config.loader import checkpoint_layer
from .config.owners import plugin_owners
from .config.tree import flatten
from .errors import CheckpointError, ConfigError
from .files import DiskFullError, atomic_write, disk_full, fsync_dir, size_text, write_failure
from .flops import model_flops
from .models import build_model
from .registry import get_registry
from .settings.schema import PLUGINS_KEY
from .trust import seal, sealed_by_user

if TYPE_CHECKING:
    import torch

log = logging.getLogger("neat.checkpoint")

FORMAT = "neat-checkpoint"
FORMAT_VERSION = 2  # 2: every file has a checksum (1: only the safetensors files)
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
META_FILE = "meta.json"
STATE_TENSORS_FILE = "training_state.safetensors"
STATE_JSON_FILE = "training_state.json"
_TENSOR, _ARRAY, _TUPLE, _DICT = "__tensor__", "__ndarray__", "__tuple__", "__dict__"
_MARKERS = {_TENSOR, _ARRAY, _TUPLE, _DICT}
MAX_STATE_DEPTH = 64  # nesting of a training state (an optimizer's is 5 levels deep)
# what a foreign checkpoint's config may not choose: where NEAT writes, what it reads
LOCATIONS = ("run.output_dir", "data.train", "data.eval", "data.cache_dir", "callbacks")
WITHHELD_DATA = ("data.train", "data.eval")  # offered as a hint when they differ
FREE_BUFFER_BYTES = 256 << 20  # buffers any model may have beside its weights


@attrs.frozen
class Checkpoint:
    """A loaded checkpoint; ``state_dict`` tensors are on the CPU."""

    path: Path
    config: NeatConfig
    meta: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    training_state: Any = None
    trusted: bool = False  # written (sealed) by this user's NEAT

    @property
    def model_name(self) -> str:
        return self.config.model.name

    def build_model(self, device: Any = "cpu", model_config: Any = None, *,
                    same_settings: bool = True) -> torch.nn.Module:
        """The registered model rebuilt from ``model_config`` (default: the checkpoint's
        own) with these weights, on ``device``, in eval mode. ``same_settings=False``
        (fine-tuning) accepts other model settings that the weights still fit, e.g. a
        patching threshold or dropout."""
        model_config = model_config or self.config.model
        if model_config.name != self.model_name:
            raise CheckpointError(f"checkpoint {self.path} holds a '{self.model_name}' model, "
                                  f"not '{model_config.name}'",
                                  hint=f"drop the model.name setting, or use a "
                                       f"'{model_config.name}' checkpoint")
        if same_settings:
            _check_same_model(self, model_config)
        _check_before_allocating(self, model_config)
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
    numpy arrays (optimizer state_dict, RNG states, sampler state, ...). A full disk is a
    DiskFullError naming ``path`` and the space the checkpoint needs; nothing of the new
    checkpoint is left behind and an older one of that name stays as it was.
    """
    from safetensors.torch import save as serialize

    path = Path(path)
    _check_replaceable(path)
    files = {MODEL_FILE: serialize(_storable(_unwrap(model).state_dict()))}
    if training_state is not None:
        tensors: dict[str, Any] = {}
        structure = _encode(training_state, tensors, "state")
        files[STATE_TENSORS_FILE] = serialize(_storable(tensors))
        files[STATE_JSON_FILE] = _json_bytes(structure, indent=None)
    files[CONFIG_FILE] = _json_bytes(to_dict(config))
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files[META_FILE] = _json_bytes({**_meta(config, step, metrics, checksums,
                                            model_flops(_unwrap(model))),
                                    "config_seal": seal(files[CONFIG_FILE])})
    needed = sum(len(data) for data in files.values())
    tmp = path.parent / f".{path.name}.tmp-{secrets.token_hex(4)}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(tmp)
    except OSError as error:
        raise write_failure(tmp, error, needed) from None
    try:
        for name, data in files.items():
            atomic_write(tmp / name, data)
        _move_into_place(tmp, path)
    except DiskFullError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise disk_full(f"cannot save checkpoint {path}", path.parent, needed) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_replaceable(path: Path) -> None:
    """Only a checkpoint (or an empty directory) may be replaced by a new one; a symbolic
    link is replaced itself (its target is never written)."""
    if path.is_symlink() or (path.is_dir() and ((path / META_FILE).is_file()
                                                or not any(path.iterdir()))):
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


def _meta(config: NeatConfig, step: int, metrics: Mapping[str, Any] | None,
          checksums: dict[str, str], flops: dict[str, float] | None) -> dict[str, Any]:
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
        "sha256": checksums,
        PLUGINS_KEY: plugin_owners(config.model.name),  # who wrote config.json's sections
    }


def _json_bytes(data: Any, indent: int | None = 2) -> bytes:
    return (json.dumps(data, indent=indent) + "\n").encode("utf-8")


def _move_into_place(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` to ``path``; an existing ``path`` is first renamed aside and only
    deleted once the new one is in place (``load_checkpoint`` falls back to it)."""
    backup = _backup_path(path)
    if path.exists() or path.is_symlink():
        if backup.exists() or backup.is_symlink():
            _remove(backup)
        os.rename(path, backup)
    os.rename(tmp, path)
    fsync_dir(path.parent)
    _remove(backup)
    for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by killed writers
        shutil.rmtree(stale, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


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


def _depth(obj: Any) -> int:
    """How deeply lists and objects nest in a JSON value, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, (list, dict)):
            deepest = max(deepest, level)
            if deepest > MAX_STATE_DEPTH:
                return deepest
            stack += [(item, level + 1) for item in
                      (value.values() if isinstance(value, dict) else value)]
    return deepest


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

def load_checkpoint(path: str | Path, *, training_state: bool = True) -> Checkpoint:
    """Read and verify a checkpoint directory (CheckpointError naming the problem);
    ``training_state=False`` leaves the training state unread (only a resume needs it)."""
    path = _checkpoint_dir(Path(path))
    meta = _read_meta(path)
    checksums = _checksums(path, meta)
    config_bytes = _read_bytes(path, CONFIG_FILE)
    _verify(path / CONFIG_FILE, checksums, hashlib.sha256(config_bytes).hexdigest())
    config = _read_config(path, meta, _json_value(path / CONFIG_FILE, config_bytes))
    trusted = sealed_by_user(config_bytes, meta.get("config_seal"))
    state_dict = _read_tensors(path, MODEL_FILE, checksums)
    _check_finite(path / MODEL_FILE, state_dict)
    state = _read_training_state(path, checksums) if training_state else None
    return Checkpoint(path, config, meta, state_dict, state, trusted)


def _read_training_state(path: Path, checksums: Mapping[str, str]) -> Any:
    state = None
    if (path / STATE_JSON_FILE).exists():
        structure = _parse_json(path, STATE_JSON_FILE, checksums)
        if _depth(structure) > MAX_STATE_DEPTH:
            raise _damaged(path / STATE_JSON_FILE, "its JSON is nested too deeply")
        tensors = _read_tensors(path, STATE_TENSORS_FILE, checksums)
        try:
            state = _decode(structure, tensors)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"{path / STATE_JSON_FILE} is damaged: it refers to "
                                  f"{error} missing from {STATE_TENSORS_FILE}") from None
    return state


def read_meta(path: str | Path) -> dict[str, Any]:
    """A checkpoint's metadata (``meta.json``, its fields checked) without its weights."""
    return _read_meta(_checkpoint_dir(Path(path)))


def load_model(path: str | Path, device: Any = "cpu") -> tuple[torch.nn.Module, NeatConfig]:
    """The model saved at ``path``, rebuilt from its own config (eval mode), and the
    config."""
    checkpoint = load_checkpoint(path, training_state=False)
    return checkpoint.build_model(device), checkpoint.config


def resolve_over_checkpoint(overrides: Overrides, checkpoint: Checkpoint,
                            sections: tuple[str, ...] | None = None) -> ResolvedConfig:
    """The checkpoint's config (only its ``sections`` when given) with ``overrides`` on
    top (a command's ResolvedConfig: the user's explicit values, config file, flags,
    ``--set``) — for commands that run a saved model. A foreign checkpoint's locations
    are not part of it (:func:`checkpoint_base`)."""
    base = checkpoint_base(checkpoint)
    if sections is not None:
        base = {key: value for key, value in base.items() if key in sections}
    return load_config(overrides=overrides, base=base)


def checkpoint_base(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint's config as the base layer of a command's config: whole when this
    user's NEAT wrote it, else without its ``LOCATIONS`` (the user's own values or the
    defaults take their place)."""
    base = to_dict(checkpoint.config)
    if not checkpoint.trusted:
        for key in LOCATIONS:
            section, _, name = key.rpartition(".")
            (base[section] if section else base).pop(name, None)
    return base


def withheld_data(checkpoint: Checkpoint, resolved: ResolvedConfig) -> dict[str, Any]:
    """The data sources a foreign checkpoint names that ``resolved`` does not use and
    the user did not set: to be offered as a hint, never read."""
    if checkpoint.trusted:
        return {}
    saved, used = flatten(to_dict(checkpoint.config)), flatten(to_dict(resolved.config))
    return {key: saved[key] for key in WITHHELD_DATA
            if saved.get(key) != used.get(key) and
            resolved.sources.get(key, "default") == "default"}


def foreign_data_error(path: Path, withheld: Mapping[str, Any], use: str) -> CheckpointError:
    """The refusal to read data a foreign checkpoint names, naming it for the user
    (``use``: how to use data of one's own instead, for the hint)."""
    named = "; ".join(f"{key} = {json.dumps(value)}" for key, value in withheld.items())
    flags = " ".join(f"--set '{key}={json.dumps(value)}'" for key, value in withheld.items())
    return CheckpointError(f"checkpoint {path} names data it was not given by you "
                           f"({named}): NEAT reads no file that only a checkpoint names, "
                           f"unless your own NEAT wrote it",
                           hint=f"{use}, or name its data if you trust it: {flags}")


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


def _damaged(file: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{file} is damaged: {why}", hint="use another checkpoint of the run")


def _read_bytes(directory: Path, name: str) -> bytes:
    file = directory / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {directory} is incomplete: {name} is missing",
                              hint="use another checkpoint of the run")
    try:
        return file.read_bytes()
    except OSError as error:
        raise _damaged(file, error.strerror or str(error)) from None


def _json_value(file: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise _damaged(file, "its JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError, a 5000-digit int
        raise _damaged(file, str(error).split(";")[0]) from None


def _read_meta(directory: Path) -> dict[str, Any]:
    """``meta.json``, its fields checked: a field of the wrong type is an error naming it."""
    file = directory / META_FILE
    meta = _json_value(file, _read_bytes(directory, META_FILE))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{file} is not the metadata of a NEAT checkpoint",
                              hint="pass a directory written by `neat train` or "
                                   "save_checkpoint")
    version = meta.get("format_version")
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise _field_error(file, "format_version", version,
                           f"an integer from 1 to {FORMAT_VERSION} (a newer one needs a "
                           f"newer NEAT)")
    if not _is_int(meta.get("step")) or meta["step"] < 0:
        raise _field_error(file, "step", meta.get("step"), "a non-negative integer")
    if not isinstance(meta.get("model"), str):
        raise _field_error(file, "model", meta.get("model"), "the model's name")
    if not isinstance(meta.get("metrics", {}), dict):
        raise _field_error(file, "metrics", meta.get("metrics"), "an object")
    return meta


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _field_error(file: Path, field: str, value: Any, expected: str) -> CheckpointError:
    shown = "missing" if value is None else f"{json.dumps(value)[:60]}"
    return CheckpointError(f"{file} is damaged: field '{field}' must be {expected}, "
                           f"got {shown}", hint="use another checkpoint of the run")


def _checksums(directory: Path, meta: Mapping[str, Any]) -> dict[str, str]:
    """The checksums of ``meta.json``, covering every file of the checkpoint.

    Format 1 (before checksums covered the JSON files) still loads, with a warning.
    """
    file = directory / META_FILE
    checksums = meta.get("sha256")
    if not isinstance(checksums, dict) or not all(
            isinstance(value, str) and len(value) == 64 for value in checksums.values()):
        raise _field_error(file, "sha256", checksums,
                           "an object mapping each file of the checkpoint to its SHA-256")
    covered = [MODEL_FILE, CONFIG_FILE]
    if (directory / STATE_JSON_FILE).exists() or (directory / STATE_TENSORS_FILE).exists():
        covered += [STATE_TENSORS_FILE, STATE_JSON_FILE]
    if meta["format_version"] == 1:
        covered = [name for name in covered if name.endswith(".safetensors")]
        log.warning("checkpoint %s was written by an older NEAT: its JSON files carry no "
                    "checksum (save it again to cover them)", directory)
    missing = [name for name in covered if name not in checksums]
    if missing:
        raise CheckpointError(f"{file} is damaged: it has no checksum for "
                              f"{', '.join(missing)}", hint="use another checkpoint of the run")
    return checksums


def _verify(file: Path, checksums: Mapping[str, str], digest: str) -> None:
    if checksums.get(file.name, digest) != digest:
        raise _damaged(file, f"its checksum differs from the one in {META_FILE}")


def _parse_json(directory: Path, name: str, checksums: Mapping[str, str]) -> Any:
    data = _read_bytes(directory, name)
    _verify(directory / name, checksums, hashlib.sha256(data).hexdigest())
    return _json_value(directory / name, data)


def _read_config(directory: Path, meta: Mapping[str, Any], data: Any) -> NeatConfig:
    file = directory / CONFIG_FILE
    model = data.get("model") if isinstance(data, dict) else None
    name = model.get("name") if isinstance(model, dict) else None
    if not isinstance(name, str):
        raise CheckpointError(f"{file} is not a valid config: it has no model.name",
                              hint="use another checkpoint of the run")
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
        return config_from_dict(checkpoint_layer(data, meta.get(PLUGINS_KEY)))
    except ConfigError as error:
        raise CheckpointError(f"{file} is not a valid config: {error.message}",
                              hint=error.hint) from None


def _read_tensors(directory: Path, name: str, checksums: Mapping[str, str]
                  ) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = directory / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {directory} is incomplete: {name} is missing",
                              hint="use another checkpoint of the run")
    try:
        _verify(file, checksums, _sha256(file))
        return load_file(file, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise _damaged(file, str(error)) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_finite(file: Path, tensors: Mapping[str, Any]) -> None:
    """Refuse weights with NaN or infinities: a model made of them computes nothing."""
    import torch

    for name, tensor in tensors.items():
        if tensor.is_floating_point() or tensor.is_complex():
            bad = int((~torch.isfinite(tensor)).sum())
            if bad:
                raise CheckpointError(f"{file} holds non-finite weights: {bad} NaN or "
                                      f"infinite value(s) in {name}",
                                      hint="the run diverged before this checkpoint was "
                                           "saved; use an earlier checkpoint")


def _check_same_model(checkpoint: Checkpoint, model_config: Any) -> None:
    """Trained weights only mean something in the model they were trained as: a model
    setting that differs from the checkpoint's (say num_heads 2 -> 4, same shapes) is
    an error naming the key, not another model run silently."""
    saved, asked = to_dict(checkpoint.config.model), to_dict(model_config)
    for key in sorted(saved.keys() | asked.keys()):
        if saved.get(key) != asked.get(key):
            raise CheckpointError(
                f"model.{key} is {json.dumps(asked.get(key))} here but "
                f"{json.dumps(saved.get(key))} in checkpoint {checkpoint.path}: trained "
                f"weights only fit the model they were trained as",
                hint=f"drop the model.{key} setting (config file, flag or --set) when "
                     f"resuming, evaluating or patching with a checkpoint")


def _check_before_allocating(checkpoint: Checkpoint, model_config: Any) -> None:
    """The model ``model_config`` describes, built on torch's meta device (no memory):
    its weights' shapes must be those saved, and a foreign checkpoint's buffers (rotary
    tables and the like, which no weight constrains) no larger than its weights or
    ``FREE_BUFFER_BYTES``. A model that cannot be built so is checked after building."""
    import warnings

    import torch

    entry = get_registry().get("models", model_config.name)
    try:
        # a model that loads weights while it is built (a BLT its entropy model's) loads
        # nothing on meta, and torch warns so: only the shapes are wanted here
        with torch.device("meta"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model = entry.factory(model_config)
    except Exception:  # the real build reports what is wrong
        return
    saved = model.state_dict()
    _check_weights_fit(checkpoint, saved)
    if checkpoint.trusted:
        return
    weights = sum(t.numel() * t.element_size() for t in checkpoint.state_dict.values())
    buffers = sorted(((b.numel() * b.element_size(), name, tuple(b.shape))
                      for name, b in model.named_buffers() if name not in saved),
                     reverse=True)
    total = sum(size for size, _, _ in buffers)
    if total > max(weights, FREE_BUFFER_BYTES):
        size, name, shape = buffers[0]
        settings = ", ".join(f"model.{key} = {json.dumps(value)}"
                             for key, value in to_dict(model_config).items()
                             if key in ("block_size", "hidden_size", "num_heads"))
        raise CheckpointError(
            f"checkpoint {checkpoint.path}: its config ({settings}) asks for "
            f"{size_text(total)} of buffers that its {size_text(weights)} of weights do "
            f"not justify (largest: {name} {list(shape)}, {size_text(size)})",
            hint="a checkpoint your NEAT did not write is held to its weights; fix the "
                 "model.* values of its config.json, or get it from its author again")


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

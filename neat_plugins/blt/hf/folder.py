"""Reading a folder that transformers' ``save_pretrained`` wrote: ``config.json`` and
``model.safetensors`` (or shards named by ``model.safetensors.index.json``).

The folder is untrusted input: the config is JSON, the weights are safetensors (nothing
is unpickled), and every tensor's name and shape is checked against what the config
implies, from the files' headers, before any tensor is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from neat_core.api import CheckpointError, UsageError

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
INDEX = "model.safetensors.index.json"


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{file.parent} has no {file.name}",
                         hint="pass a folder written by transformers' save_pretrained "
                              "(config.json and model.safetensors)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"cannot read {file}: {getattr(error, 'strerror', None) or error}",
                         hint="pass a folder written by transformers' save_pretrained") from None


def read_config(folder: Path, model_types: tuple[str, ...]) -> dict[str, Any]:
    """config.json of ``folder``, which must describe a model of one of ``model_types``."""
    data = _read_json(folder / CONFIG)
    found = data.get("model_type") if isinstance(data, dict) else None
    if found not in model_types:
        raise UsageError(f"{folder / CONFIG} describes a {found!r} model, not a BLT "
                         f"(model_type {' or '.join(map(repr, model_types))})",
                         hint="pass the folder of a transformers BLT (BltForCausalLM) or "
                              "of its patcher")
    return data


class Weights:
    """The tensors of a folder, by name, with their shapes from the headers."""

    def __init__(self, folder: Path) -> None:
        from safetensors import safe_open

        index = folder / INDEX
        if (folder / WEIGHTS).is_file():
            files = {folder / WEIGHTS}
            self.file_of: dict[str, Path] = {}
        elif index.is_file():
            weight_map = _read_json(index).get("weight_map", {})
            self.file_of = {name: _inside(folder, file) for name, file in weight_map.items()}
            files = set(self.file_of.values())
        else:
            raise UsageError(f"{folder} has no {WEIGHTS}",
                             hint="pass a folder written by transformers' save_pretrained")
        self.shapes: dict[str, tuple[int, ...]] = {}
        self._open = safe_open
        for file in sorted(files):
            try:
                with safe_open(str(file), framework="pt") as handle:
                    for name in handle.keys():
                        self.shapes[name] = tuple(handle.get_slice(name).get_shape())
                        self.file_of[name] = file
            except Exception as error:  # a damaged or foreign file: safetensors says what
                raise CheckpointError(f"{file} is not a readable safetensors file: {error}",
                                      hint="write the folder again with save_pretrained") \
                    from None

    def check(self, expected: Mapping[str, tuple[int, ...]], source: str,
              prefix: str = "") -> None:
        """Every expected tensor present with its shape, and no other whose name starts
        with ``prefix``."""
        for name, shape in expected.items():
            if name not in self.shapes:
                raise CheckpointError(f"{source}: tensor {name} is missing",
                                      hint="the weights do not belong to its config.json")
            if self.shapes[name] != tuple(shape):
                raise CheckpointError(f"{source}: tensor {name} has shape "
                                      f"{list(self.shapes[name])}, config.json implies "
                                      f"{list(shape)}",
                                      hint="the weights do not belong to its config.json")
        unexpected = sorted(name for name in set(self.shapes) - set(expected)
                            if name.startswith(prefix))
        if unexpected:
            raise CheckpointError(f"{source}: unexpected tensor {unexpected[0]}"
                                  + (f" (and {len(unexpected) - 1} more)"
                                     if len(unexpected) > 1 else ""),
                                  hint="an option NEAT does not know may need it; the "
                                       "weights do not fit the config NEAT read")

    def reader(self) -> Callable[[str], torch.Tensor]:
        """``read(name)``: the tensor in float32."""

        def read(name: str) -> torch.Tensor:
            with self._open(str(self.file_of[name]), framework="pt") as handle:
                return handle.get_tensor(name).float()

        return read


def _inside(folder: Path, file: str) -> Path:
    """A shard named by the index, which must lie in the folder itself."""
    path = (folder / file).resolve()
    if path.parent != folder.resolve():
        raise UsageError(f"{folder / INDEX} names a file outside the folder: {file}",
                         hint="shards must sit beside the index")
    return path

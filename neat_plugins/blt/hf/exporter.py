"""``neat export --format transformers``: a reference-layout checkpoint -> a folder that
transformers loads (``BltForCausalLM.from_pretrained``, or ``BltPatcher`` for an entropy
model).

What it writes::

    OUT/config.json             transformers' config (its transformers_version: the one
                                that wrote it)
    OUT/model.safetensors       the weights under transformers' names, float32
    OUT/generation_config.json  BOS, EOS and PAD, and use_cache false (a BLT only)
    OUT/neat_export.json        the source checkpoint, the threshold in bits and nats,
                                and the transformers versions it targets

The folder is written beside OUT and renamed into place, so OUT appears complete or not
at all.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from neat_core import __version__ as neat_version
from neat_core.api import (
    RunError,
    UsageError,
    load_checkpoint,
    resolve_checkpoint,
)

from ..byte_latent.settings import BltConfig
from ..entropy_model.settings import BltEntropyConfig
from ..layers.tokens import BOS, EOS, PAD
from .requirement import TRANSFORMERS_REQUIREMENT, require_transformers
from .settings import bits_to_nats, blt_kwargs, patcher_kwargs
from .weights import blt_pairs, entropy_pairs, to_transformers

FORMATS = ("transformers",)
RECORD = "neat_export.json"


def export_checkpoint(checkpoint: str | Path, output_dir: str | Path,
                      output_format: str = "transformers") -> dict[str, Any]:
    """Write the reference-layout model of ``checkpoint`` (a checkpoint or a run
    directory) as a transformers folder at ``output_dir``; returns what
    ``neat_export.json`` records."""
    transformers = require_transformers("neat export")
    if output_format not in FORMATS:
        raise UsageError(f"unknown export format {output_format!r}",
                         hint=f"formats: {', '.join(FORMATS)}")
    output = Path(output_dir).expanduser()
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(f"output dir {output} is not empty", hint="choose another --output-dir")
    saved = load_checkpoint(resolve_checkpoint(checkpoint))
    model = saved.config.model
    if not isinstance(model, (BltConfig, BltEntropyConfig)) or model.layout != "reference":
        raise UsageError(f"checkpoint {saved.path} holds a '{saved.model_name}' model of "
                         f"layout {getattr(model, 'layout', 'neat')!r}; transformers holds "
                         f"the reference layout only",
                         hint="export a model trained with --set model.layout=reference, or "
                              "one that neat import made")
    record: dict[str, Any] = {
        "source": str(saved.path), "model": saved.model_name, "step": saved.meta.get("step"),
        "neat_version": neat_version, "targets": f"transformers{TRANSFORMERS_REQUIREMENT}",
        "written_with": transformers.__version__}
    generation = None
    if isinstance(model, BltEntropyConfig):
        config = transformers.BltPatcherConfig(**patcher_kwargs(model))
        tensors = to_transformers(saved.state_dict, entropy_pairs(model))
        expected = _expected(transformers.BltPatcher, config)
    else:
        config = transformers.BltConfig(**blt_kwargs(model))
        tensors = to_transformers(saved.state_dict, blt_pairs(model))
        expected = _expected(transformers.BltForCausalLM, config)
        generation = transformers.GenerationConfig(bos_token_id=BOS, eos_token_id=EOS,
                                                   pad_token_id=PAD, use_cache=False)
        if model.patching == "global":
            record["patching_threshold"] = {"bits": model.threshold,
                                            "nats": bits_to_nats(model.threshold),
                                            "conversion": "nats = bits x ln 2"}
    _check_complete(tensors, expected)
    _write(output, config, tensors, generation, record)
    return record


def _expected(model_class: Any, config: Any) -> dict[str, tuple[int, ...]]:
    """The names and shapes of a transformers model of ``config`` (built on the meta
    device: no memory, no initialisation)."""
    import torch

    with torch.device("meta"):
        model = model_class(config)
    return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


def _check_complete(tensors: dict[str, Any], expected: dict[str, tuple[int, ...]]) -> None:
    """Every tensor transformers' model has, of its shape, and no other (a mismatch is a
    bug of the conversion, not the user's)."""
    got = {name: tuple(tensor.shape) for name, tensor in tensors.items()}
    if got != expected:
        differ = sorted(set(got) ^ set(expected)) or sorted(
            name for name in got if got[name] != expected[name])
        raise RunError(f"the converted weights do not fit transformers' model: {differ[:3]}",
                       hint="please report this with the checkpoint's config.json")


def _write(output: Path, config: Any, tensors: dict[str, Any], generation: Any,
           record: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.parent / f".{output.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        config.save_pretrained(tmp)
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        if generation is not None:
            generation.save_pretrained(tmp)
        (tmp / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if output.exists():
            output.rmdir()  # empty, checked above
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

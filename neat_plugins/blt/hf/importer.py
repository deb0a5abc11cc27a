"""``neat import``: a transformers BLT folder -> a NEAT run directory.

What it writes for a ``BltForCausalLM`` folder::

    DIR/config.json                        the BLT's resolved config (as a run writes it)
    DIR/checkpoints/step-0000000/          the BLT (reference layout); checkpoints/best
    DIR/entropy-model/                     the folder's patcher as a blt-entropy run of
                                           its own (config.json, checkpoints/best), the
                                           BLT's model.entropy_checkpoint
    DIR/import.json                        where it came from and what was converted

The BLT checkpoint holds the entropy model's weights too, so it loads with no other
file; the entropy model's run works alone (``neat patch DIR/entropy-model FILE``). A
folder of transformers' ``BltPatcher`` alone becomes a blt-entropy run at ``DIR``.

Everything is checked before anything is written, and the directory is written beside
``DIR`` and renamed into place: a failed import leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import attrs

from neat_core import __version__ as neat_version
from neat_core.api import (
    UsageError,
    atomic_write,
    get_registry,
    load_config,
    save_checkpoint,
    to_dict,
)
from neat_core.training.run_dir import RunDirectory, step_dir_name

from .folder import Weights, read_config
from .requirement import TRANSFORMERS_REQUIREMENT, require_transformers
from .settings import Refusal, blt_settings, entropy_settings, uses_patcher
from .weights import Pair, blt_pairs, entropy_pairs, from_transformers, transformers_shapes

ENTROPY_RUN = "entropy-model"
RECORD = "import.json"
STEP = 0
BLT, PATCHER = "blt", "blt_patcher"  # transformers' model types


def import_folder(source: str | Path, output_dir: str | Path,
                  block_size: int | None = None) -> dict[str, Any]:
    """Import the transformers BLT (or patcher) in ``source`` into the run directory
    ``output_dir``; returns what ``import.json`` records."""
    transformers = require_transformers("neat import")
    source, output = Path(source).expanduser(), Path(output_dir).expanduser()
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(f"output dir {output} is not empty", hint="choose another --output-dir")
    data = read_config(source, (BLT, PATCHER))
    kind = transformers.BltConfig if data["model_type"] == BLT else transformers.BltPatcherConfig
    try:
        config = kind.from_dict(data)
    except Exception as error:  # transformers validates each field's type
        raise UsageError(f"{source / 'config.json'}: {' '.join(str(error).split())[:300]}",
                         hint=f"transformers' {kind.__name__} cannot read it") from None
    block_size = block_size or config.max_position_embeddings - 1  # BOS takes a position
    refuse = Refusal(str(source / "config.json"))
    record: dict[str, Any] = {
        "source": str(source.resolve()), "format": "transformers", "model_type": kind.model_type,
        "transformers_version": transformers.__version__,
        "written_by_transformers": data.get("transformers_version"),
        "targets": f"transformers{TRANSFORMERS_REQUIREMENT}", "neat_version": neat_version,
        "block_size": block_size, "entropy_model": None}
    parts: dict[str, Part] = {}  # run directory ("": DIR itself) -> what goes there
    if kind.model_type == PATCHER:
        parts[""] = Part(entropy_settings(config, block_size, refuse, name="config"))
    else:
        settings = blt_settings(config, block_size, refuse)
        if uses_patcher(config):
            entropy = entropy_settings(config.patcher_config, block_size, refuse)
            parts[ENTROPY_RUN] = Part(entropy, prefix="model.patcher.")
            # the entropy model's settings travel inline; its weights come with the BLT's
            settings["entropy"] = entropy
            settings["entropy_checkpoint"] = str(
                (output / ENTROPY_RUN).resolve() / "checkpoints" / step_dir_name(STEP))
            record["entropy_model"] = str(output / ENTROPY_RUN)
            record["patching_threshold"] = {
                "nats": config.patching_threshold, "bits": settings["threshold"],
                "conversion": "bits = nats / ln 2 (transformers compares nats, NEAT bits)"}
        parts[""] = Part(settings)
    weights = Weights(source)
    for name, part in parts.items():  # every name and shape first, from the headers
        part.build(output / name)
        weights.check(transformers_shapes(part.model.state_dict(), part.pairs), str(source),
                      prefix=part.prefix)
    read = weights.reader()
    for part in parts.values():
        _load(part.model, from_transformers(read, part.pairs))
    _write(output, parts, record)
    return record


@attrs.define
class Part:
    """One model of the import: its settings, the prefix of its tensors in the folder,
    and once built, the model and its tensors' names."""

    settings: dict[str, Any]
    prefix: str = ""
    model: Any = None
    pairs: list[Pair] = attrs.Factory(list)

    def build(self, output: Path) -> None:
        model = get_registry().models[self.settings["name"]].factory(
            _config(self.settings, output).model)
        self.model = model
        self.pairs = (blt_pairs(model.config) if self.settings["name"] == "blt"
                      else entropy_pairs(model.config, hf=self.prefix))


def _config(settings: dict[str, Any], output: Path) -> Any:
    return load_config(base={"model": settings, "run": {"output_dir": str(output)}}).config


def _load(model: Any, state: dict[str, Any]) -> None:
    """Load the converted tensors: all of the model's but NEAT's own statistics."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"patch_counts"}, (missing, unexpected)


def _write(output: Path, parts: dict[str, Part], record: dict[str, Any]) -> None:
    """The run directories beside ``output``, then renamed into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.parent / f".{output.name}.tmp-{secrets.token_hex(4)}"
    try:
        for name, part in parts.items():
            config = _config(part.settings, output / name)
            run = RunDirectory(tmp / name)
            run.check_writable()
            save_checkpoint(run.step_path(STEP), part.model, config, step=STEP)
            run.mark_best(STEP)
            atomic_write(run.path / "config.json", json.dumps(to_dict(config), indent=2) + "\n")
        atomic_write(tmp / RECORD, json.dumps(record, indent=2) + "\n")
        if output.exists():
            output.rmdir()  # empty, checked at the start
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

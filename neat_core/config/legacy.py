"""Migration of the older tool's flat JSON configs to the NEAT schema.

Every old key gets a line in the report: moved (same name, now in a section), renamed,
converted (the value changed form), dropped (with why), or kept.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

from .schema import DEFAULT_MODEL, SCHEMA_VERSION
from .tree import set_path

NEAT_SECTIONS = {"schema_version", "extends", "run", "backend", "model", "data",
                 "training", "patching", "eval"}


@attrs.frozen
class Change:
    old_key: str
    action: str  # moved | renamed | converted | dropped | kept
    new_key: str | None = None
    old_value: Any = None
    new_value: Any = None
    reason: str = ""

    def line(self) -> str:
        import json

        old = f"{self.old_key} = {json.dumps(self.old_value)}"
        if self.action == "dropped":
            return f"dropped    {old}: {self.reason}"
        new = f"{self.new_key} = {json.dumps(self.new_value)}"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.action:<10} {old} -> {new}{why}"


@attrs.frozen
class Migration:
    config: dict[str, Any]
    changes: list[Change]

    def report(self) -> str:
        return "\n".join(change.line() for change in self.changes)


def _same(value: Any) -> Any:
    return value


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _model_name(value: Any) -> Any:
    return DEFAULT_MODEL if str(value).lower() in {"blt", "byte_lm", "bytelm", "entropy"} else value


def _mixed_precision(value: Any) -> Any:
    return "auto" if value else "off"


def _precision(value: Any) -> Any:
    table = {"fp32": "off", "float32": "off", "32": "off", "fp16": "fp16", "float16": "fp16",
             "16": "fp16", "bf16": "bf16", "bfloat16": "bf16", "mixed": "auto", "auto": "auto"}
    return table.get(str(value).lower(), value)


def _dynamic_patching(value: Any) -> Any:
    return "global" if value else "static"


# old key -> (new key, value conversion, note)
RENAMES: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "model_type": ("model.name", _model_name, "the older tool's 'blt' is NEAT's blt-entropy model"),
    "hidden_size": ("model.hidden_size", _same, ""),
    "byte_lm_hidden_size": ("model.hidden_size", _same, ""),
    "num_layers": ("model.num_layers", _same, ""),
    "byte_lm_num_layers": ("model.num_layers", _same, ""),
    "num_heads": ("model.num_heads", _same, ""),
    "byte_lm_num_heads": ("model.num_heads", _same, ""),
    "num_attention_heads": ("model.num_heads", _same, ""),
    "dropout": ("model.dropout", _same, ""),
    "byte_lm_dropout": ("model.dropout", _same, ""),
    "block_size": ("model.block_size", _same, "the model's context length in bytes"),
    "batch_size": ("training.batch_size", _same, ""),
    "max_steps": ("training.max_steps", _same, ""),
    "eval_steps": ("training.eval_steps", _same, ""),
    "save_steps": ("training.save_steps", _same, ""),
    "log_steps": ("training.log_steps", _same, ""),
    "learning_rate": ("training.learning_rate", _same, ""),
    "min_learning_rate": ("training.min_learning_rate", _same, ""),
    "warmup_steps": ("training.warmup_steps", _same, ""),
    "gradient_accumulation_steps": ("training.gradient_accumulation_steps", _same, ""),
    "weight_decay": ("training.weight_decay", _same, ""),
    "lr_schedule": ("training.lr_schedule", _same, ""),
    "gradient_clipping": ("training.max_grad_norm", _same, "the gradient-norm clip value"),
    "mixed_precision": ("backend.mixed_precision", _mixed_precision,
                        "true lets the backend choose a safe dtype, false trains in float32"),
    "precision": ("backend.mixed_precision", _precision, "precision names map to autocast dtypes"),
    "memory_reserve_pct": ("backend.memory_reserve_pct", _same,
                           "applies to CUDA only; CPU and MPS ignore it"),
    "output_dir": ("run.output_dir", _same, ""),
    "training_dir": ("run.output_dir", _same, "NEAT writes checkpoints into run.output_dir"),
    "train_data_dir": ("data.train", _listed, "a list of sources: files, directories or globs"),
    "eval_data_dir": ("data.eval", _listed, "a list of sources: files, directories or globs"),
    "cache_dir": ("data.cache_dir", _same, ""),
    "entropy_threshold": ("patching.threshold", _same,
                          "NEAT reads patching.threshold in bits (0-8) of next-byte entropy; "
                          "the older tool clamped it to [0, 1], so check the value"),
    "min_patch_size": ("patching.min_patch_size", _same, ""),
    "max_patch_size": ("patching.max_patch_size", _same, ""),
    "use_dynamic_patching": ("patching.mode", _dynamic_patching,
                             "true means entropy patching (global), false fixed-size patches"),
}

# old key -> why it has no NEAT equivalent
DROPPED: dict[str, str] = {
    "num_workers": "NEAT samples from a memory-mapped cache in-process; there are no loader workers",
    "processed_dir": "NEAT builds its own byte cache in data.cache_dir",
    "metadata_dir": "every checkpoint records its own config and metadata",
    "platform_optimizations": "backends apply their platform settings themselves (see `neat backends`)",
    "gradient_checkpointing": "not implemented: entropy models are small enough to train without it",
    "data_config": "the older tool never read this block; sources go in data.train and data.eval",
    "synthetic_data": "the older tool never read this block; use 'synthetic:<pattern>' sources in data.train",
    "binary_data": "the older tool never read this block; list binary files or directories in data.train",
    "validation": "the older tool never read this block; see data.eval, data.eval_fraction and training.eval_steps",
    "profiling": "the older tool never read this block; use `neat bench`",
    "checkpointing": "the older tool never read this block; see training.save_steps and training.keep_last",
    "hardware_optimization": "the older tool never read this block; see the backend section",
    "entropy_threshold_annealing": "the older tool never read this block; NEAT has no threshold annealing",
    "entropy_diversity_loss": "the older tool never read this block; NEAT trains plain next-byte prediction",
}

# keys that only make sense together with another key's value
_FORCE_CPU_REASON = "backend.name = auto (the default) already falls back to the CPU"


def is_legacy(data: dict[str, Any]) -> bool:
    """A flat file of the older tool: no schema_version and an old key at the top."""
    return "schema_version" not in data and any(
        key in RENAMES or key in DROPPED or key == "force_cpu" for key in data)


def migrate(old: dict[str, Any]) -> Migration:
    """Convert an old flat config; unknown keys are dropped and reported."""
    new: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    changes: list[Change] = []
    for key, value in old.items():
        if key in NEAT_SECTIONS:
            new[key] = value if key != "schema_version" else SCHEMA_VERSION
            changes.append(Change(key, "kept", key, value, new[key]))
        elif key == "force_cpu":
            changes.append(_force_cpu(value, new))
        elif key in RENAMES:
            changes.append(_rename(key, value, old, new))
        elif key in DROPPED:
            changes.append(Change(key, "dropped", old_value=value, reason=DROPPED[key]))
        else:
            changes.append(Change(key, "dropped", old_value=value,
                                  reason="not a setting of the older tool or of NEAT"))
    return Migration(new, changes)


def _rename(key: str, value: Any, old: dict[str, Any], new: dict[str, Any]) -> Change:
    target, convert, note = RENAMES[key]
    preferred = [k for k, (t, _, _) in RENAMES.items() if t == target and k in old]
    if preferred[0] != key:
        return Change(key, "dropped", old_value=value,
                      reason=f"'{preferred[0]}' also sets {target} and takes precedence")
    new_value = convert(value)
    set_path(new, target, new_value)
    if new_value != value:
        action = "converted"
    elif target.rsplit(".", 1)[1] == key:
        action = "moved"
    else:
        action = "renamed"
    return Change(key, action, target, value, new_value, note)


def _force_cpu(value: Any, new: dict[str, Any]) -> Change:
    if value is True:
        set_path(new, "backend.name", "cpu")
        return Change("force_cpu", "converted", "backend.name", value, "cpu")
    return Change("force_cpu", "dropped", old_value=value, reason=_FORCE_CPU_REASON)

"""The public plugin API: everything a plugin author may import, in one place.

``__all__`` is the supported surface. A name listed here keeps working, unchanged, for
at least one minor version after a change is announced: a replaced name stays as an
alias that raises a DeprecationWarning naming its successor, and CHANGELOG.md records
every change. Anything imported from elsewhere in ``neat_core`` may change without
notice. docs/plugins.md's tables of contracts and register options are generated from
this module.

Importing it is cheap: the names of services that need numpy or torch load their
module on first use (PEP 562), so an entry-point module may import from here freely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy
from .contracts import (
    MAX_BITS,
    VOCAB_SIZE,
    Callback,
    DataSource,
    DataUnit,
    Documents,
    EntropyScorer,
    Evaluator,
    Model,
    ModelPatching,
    Report,
    SourceDocument,
    Tally,
    Trainer,
    TrainResult,
    check_model,
    check_train_result,
    takes_targets,
)
from .errors import (
    CheckpointError,
    ConfigError,
    DataError,
    Interrupted,
    NeatError,
    PluginError,
    RunError,
    UsageError,
    suggest,
)
from .hookspecs import Register, hookimpl
from .registry import CommandHost, Entry, get_registry
from .settings.fields import Former, section, setting
from .settings.schema import (
    BackendConfig,
    CallbackConfig,
    ModelConfig,
    NeatConfig,
    Settings,
    frozen,
    require,
)
from .testing import plugin_registered

if TYPE_CHECKING:
    from .backends import AMP_DTYPES, Backend, notice_once, select_backend, system_memory_bytes
    from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from .commands import ConfigCommand, config_command
    from .config.loader import Override, Overrides, ResolvedConfig, load_config
    from .config.sections import to_dict
    from .data import file_identity, list_paths, rng_for, walk
    from .distributed import DistEnv
    from .files import append_lines, atomic_write, read_lines, write_failure
    from .flops import describe_flops, model_flops
    from .inputs import DocumentStream, load_documents
    from .models import build_model
    from .reporting import write_reports
    from .scoring import (
        Scorer,
        compute_entropies,
        entropy_bits,
        plan_windows,
        score_bytes,
        score_stream,
        stream_alignment,
        stream_context,
    )
    from .session import (
        Session,
        analysis_results,
        load_model,
        open_checkpoint,
        resolve_checkpoint,
    )
    from .training.callbacks import Callbacks

__getattr__ = lazy(__name__, {
    ".backends": ("AMP_DTYPES", "Backend", "notice_once", "select_backend",
                  "system_memory_bytes"),
    ".checkpoint": ("Checkpoint", "load_checkpoint", "save_checkpoint"),
    ".commands": ("ConfigCommand", "config_command"),
    ".config.loader": ("Override", "Overrides", "ResolvedConfig", "load_config"),
    ".config.sections": ("to_dict",),
    ".data": ("file_identity", "list_paths", "rng_for", "walk"),
    ".distributed": ("DistEnv",),
    ".files": ("append_lines", "atomic_write", "read_lines", "write_failure"),
    ".flops": ("describe_flops", "model_flops"),
    ".inputs": ("DocumentStream", "load_documents"),
    ".models": ("build_model",),
    ".reporting": ("write_reports",),
    ".scoring": ("Scorer", "compute_entropies", "entropy_bits", "plan_windows", "score_bytes",
                 "score_stream", "stream_alignment", "stream_context"),
    ".session": ("Session", "analysis_results", "load_model", "open_checkpoint",
                 "resolve_checkpoint"),
    ".training.callbacks": ("Callbacks",),
})


__all__ = [
    # hooks and the registry
    "hookimpl", "Register", "CommandHost", "get_registry", "Entry",
    # contracts: what factories return, and the types the core hands them
    "Backend", "Model", "Trainer", "TrainResult", "Evaluator", "Report", "Callback",
    "DataSource", "DataUnit", "SourceDocument", "Tally", "EntropyScorer", "Documents",
    "ModelPatching",
    "MAX_BITS", "VOCAB_SIZE", "check_model", "check_train_result", "takes_targets",
    # settings: a plugin's section of the one config schema, and configs
    "Settings", "ModelConfig", "CallbackConfig", "BackendConfig", "NeatConfig", "frozen",
    "setting", "section", "require", "Former", "Override", "Overrides", "ResolvedConfig",
    "load_config", "to_dict",
    # errors: one line with a hint, and the exit code
    "NeatError", "UsageError", "ConfigError", "DataError", "CheckpointError", "PluginError",
    "RunError", "Interrupted", "suggest",
    # the command kit: commands that read the config
    "ConfigCommand", "config_command",
    # models, checkpoints, sessions and reports
    "build_model", "load_model", "Checkpoint", "load_checkpoint", "save_checkpoint",
    "resolve_checkpoint", "open_checkpoint", "Session", "analysis_results",
    "DocumentStream", "load_documents", "write_reports",
    # training: what a trainer calls besides the above
    "Callbacks", "DistEnv",
    # scoring
    "Scorer", "compute_entropies", "score_bytes", "score_stream", "stream_context",
    "stream_alignment", "entropy_bits", "plan_windows",
    # data, files, backends and FLOPs
    "file_identity", "list_paths", "walk", "rng_for", "atomic_write", "append_lines", "read_lines",
    "write_failure", "AMP_DTYPES", "notice_once", "select_backend", "system_memory_bytes",
    "describe_flops", "model_flops",
    # testing
    "plugin_registered",
]

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
from .hookspecs import hookimpl
from .registry import Entry, get_registry
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
    from .checkpoint import load_checkpoint, save_checkpoint
    from .commands import ConfigCommand, config_command
    from .config.loader import Override, Overrides, ResolvedConfig, load_config
    from .config.sections import to_dict
    from .data import list_paths, rng_for
    from .files import atomic_write, write_failure
    from .flops import describe_flops, model_flops
    from .inputs import DocumentStream
    from .reporting import write_reports
    from .scoring import (
        Scorer,
        compute_entropies,
        score_bytes,
        score_stream,
        stream_alignment,
        stream_context,
    )
    from .session import Session, load_model, open_checkpoint, resolve_checkpoint

__getattr__ = lazy(__name__, {
    ".backends": ("AMP_DTYPES", "Backend", "notice_once", "select_backend",
                  "system_memory_bytes"),
    ".checkpoint": ("load_checkpoint", "save_checkpoint"),
    ".commands": ("ConfigCommand", "config_command"),
    ".config.loader": ("Override", "Overrides", "ResolvedConfig", "load_config"),
    ".config.sections": ("to_dict",),
    ".data": ("list_paths", "rng_for"),
    ".files": ("atomic_write", "write_failure"),
    ".flops": ("describe_flops", "model_flops"),
    ".inputs": ("DocumentStream",),
    ".reporting": ("write_reports",),
    ".scoring": ("Scorer", "compute_entropies", "score_bytes", "score_stream",
                 "stream_alignment", "stream_context"),
    ".session": ("Session", "load_model", "open_checkpoint", "resolve_checkpoint"),
})


__all__ = [
    # hooks and the registry
    "hookimpl", "get_registry", "Entry",
    # contracts
    "Backend", "Callback", "DataSource", "DataUnit", "Documents", "EntropyScorer",
    "Evaluator", "Model", "ModelPatching", "Report", "SourceDocument", "Tally", "Trainer",
    "TrainResult", "MAX_BITS", "VOCAB_SIZE", "check_model", "check_train_result",
    "takes_targets",
    # settings
    "Settings", "ModelConfig", "CallbackConfig", "BackendConfig", "NeatConfig", "Former",
    "frozen", "require", "section", "setting", "Override", "Overrides", "ResolvedConfig",
    "load_config", "to_dict",
    # errors
    "NeatError", "UsageError", "ConfigError", "DataError", "CheckpointError", "PluginError",
    "RunError", "Interrupted", "suggest",
    # commands
    "ConfigCommand", "config_command",
    # checkpoints, sessions, reports
    "load_model", "load_checkpoint", "save_checkpoint", "resolve_checkpoint",
    "open_checkpoint", "Session", "write_reports", "DocumentStream",
    # scoring
    "Scorer", "compute_entropies", "score_bytes", "score_stream", "stream_alignment",
    "stream_context",
    # data, files, backends, FLOPs
    "list_paths", "rng_for", "atomic_write", "write_failure", "AMP_DTYPES",
    "notice_once", "select_backend", "system_memory_bytes", "describe_flops",
    "model_flops",
    # testing
    "plugin_registered",
]

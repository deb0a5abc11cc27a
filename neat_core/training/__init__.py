"""Building blocks for trainer plugins (no torch here); each name loads its module on
first use.

- :class:`LrSchedule`: warmup, then cosine, linear or constant decay.
- :class:`RunDirectory`: an output directory's config, checkpoints, rotation, best link.
- :class:`MetricsLog` / :func:`read_metrics`: ``metrics.jsonl``.
- :class:`StopRequest`: SIGINT/SIGTERM -> save and stop; a second signal acts at once.
- :class:`Callbacks`: the ``register_training_callbacks`` plugins of a run.
- :class:`DistEnv`: rank and world size under ``torchrun`` (:mod:`neat_core.distributed`).
- :func:`~neat_core.training.run.train`: running a trainer (``neat train``).
"""

from typing import TYPE_CHECKING

from .._lazy import lazy

LATEST = "latest"  # resume from the newest checkpoint of a run (``neat train --resume``)

if TYPE_CHECKING:
    from ..distributed import DistEnv
    from .callbacks import Callbacks
    from .metrics import METRICS_FILE, MetricsLog, read_metrics
    from .run_dir import RunDirectory, step_dir_name
    from .schedule import LrSchedule
    from .signals import StopRequest

__getattr__ = lazy(__name__, {
    "..distributed": ("DistEnv",),
    ".callbacks": ("Callbacks",),
    ".metrics": ("METRICS_FILE", "MetricsLog", "read_metrics"),
    ".run_dir": ("RunDirectory", "step_dir_name"),
    ".schedule": ("LrSchedule",),
    ".signals": ("StopRequest",),
})

__all__ = ["Callbacks", "DistEnv", "LATEST", "LrSchedule", "METRICS_FILE", "MetricsLog",
           "RunDirectory", "StopRequest", "read_metrics", "step_dir_name"]

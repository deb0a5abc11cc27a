"""Building blocks for trainer plugins (no torch here).

- :class:`LrSchedule`: warmup, then cosine, linear or constant decay.
- :class:`RunDirectory`: an output directory's config, checkpoints, rotation, best link.
- :class:`MetricsLog` / :func:`read_metrics`: ``metrics.jsonl``.
- :class:`StopRequest`: SIGINT/SIGTERM -> save and stop; a second signal acts at once.
- :class:`Callbacks`: the ``register_training_callbacks`` plugins of a run.
- :class:`DistEnv`: rank and world size under ``torchrun``.
"""

from .callbacks import Callbacks
from .distributed import DistEnv
from .metrics import METRICS_FILE, MetricsLog, read_metrics
from .run_dir import RunDirectory, step_dir_name
from .schedule import LrSchedule
from .signals import StopRequest

__all__ = ["Callbacks", "DistEnv", "LrSchedule", "METRICS_FILE", "MetricsLog",
           "RunDirectory", "StopRequest", "read_metrics", "step_dir_name"]

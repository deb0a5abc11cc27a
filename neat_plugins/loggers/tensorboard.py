"""TensorBoard scalars through ``torch.utils.tensorboard`` (needs ``tensorboard``).

Train records give ``train/loss`` (nats per byte), ``train/bpb``, ``train/perplexity``,
``train/lr``, ``train/grad_norm`` and ``train/bytes_per_second``; eval records
``eval/loss``, ``eval/bpb`` and ``eval/perplexity``; the step is the optimizer step.
A resumed run drops the events after its step from the earlier files (purge_step), so
the curves do not fold back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neat_core.api import UsageError

from .config import TensorBoardSettings

TRAIN = ("loss", "bpb", "perplexity", "lr", "grad_norm", "bytes_per_second")
EVAL = ("eval_loss", "eval_bpb", "eval_perplexity")


def _require_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise UsageError("callbacks.tensorboard is enabled but the tensorboard package is "
                         "not installed",
                         hint="pip install 'neat-entropy[tensorboard]', or set "
                              "callbacks.tensorboard.enabled = false") from None


class TensorBoardLogger:
    def __init__(self, settings: TensorBoardSettings, run_dir: Path) -> None:
        _require_tensorboard()
        self.log_dir = run_dir / settings.log_dir
        self.writer: Any = None

    def on_train_start(self, info: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # a resumed run drops the events logged after its checkpoint by the earlier run
        self.writer = SummaryWriter(str(self.log_dir),
                                    purge_step=info["step"] + 1 if info["step"] else None)

    def on_log(self, record: dict[str, Any]) -> None:
        self._scalars("train", record, TRAIN)

    def on_eval(self, record: dict[str, Any]) -> None:
        self._scalars("eval", record, EVAL)

    def _scalars(self, group: str, record: dict[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            value = record.get(key)
            if isinstance(value, (int, float)):
                self.writer.add_scalar(f"{group}/{key.removeprefix('eval_')}", value,
                                       record["step"])

    def on_checkpoint(self, path: Path, record: dict[str, Any]) -> None:
        self.writer.flush()

    def on_train_end(self, metrics: dict[str, Any]) -> None:
        if self.writer is not None:
            self.writer.close()

"""TensorBoard scalars through ``torch.utils.tensorboard`` (needs ``tensorboard``): those
of :mod:`.metrics`. A resumed run drops the events after its step from the earlier files
(purge_step), so the curves do not fold back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import TensorBoardSettings
from .metrics import require, scalars


class TensorBoardLogger:
    def __init__(self, settings: TensorBoardSettings, run_dir: Path) -> None:
        require("tensorboard", "tensorboard", "tensorboard")
        self.log_dir = run_dir / settings.log_dir
        self.writer: Any = None

    def on_train_start(self, info: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # a resumed run drops the events logged after its checkpoint by the earlier run
        self.writer = SummaryWriter(str(self.log_dir),
                                    purge_step=info["step"] + 1 if info["step"] else None)

    def on_log(self, record: dict[str, Any]) -> None:
        for name, value in scalars(record).items():
            self.writer.add_scalar(name, value, record["step"])

    on_eval = on_log  # eval records name their own group

    def on_checkpoint(self, path: Path, record: dict[str, Any]) -> None:
        self.writer.flush()

    def on_train_end(self, metrics: dict[str, Any]) -> None:
        if self.writer is not None:
            self.writer.close()

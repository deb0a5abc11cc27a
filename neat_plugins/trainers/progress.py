"""The training progress bar: step, loss, bits per byte, learning rate, bytes/s.

Hidden (a no-op) when ``show`` is false: quiet mode, output that is not a terminal,
``run.progress = false``, or a rank other than 0. Log lines printed while the bar is
shown go above it instead of breaking it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from .evaluation import LN2


class Progress:
    def __init__(self, show: bool, total: int, initial: int) -> None:
        self.show, self.total, self.initial = show, total, initial
        self._bar: Any = None
        self._stack = contextlib.ExitStack()
        self._eval_bpb: float | None = None
        self._postfix: dict[str, str] = {}

    def __enter__(self) -> Progress:
        if self.show:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            class Bar(tqdm):
                """Two columns short of the terminal: Ctrl-C echoes "^C" after the bar,
                and a bar as wide as the terminal would wrap, leaving a copy above."""

                @property
                def format_dict(self) -> dict[str, Any]:
                    values: dict[str, Any] = super().format_dict
                    if values.get("ncols"):
                        values["ncols"] = max(1, values["ncols"] - len("^C"))
                    return values

            self._bar = self._stack.enter_context(
                Bar(total=self.total, initial=self.initial, unit="step", dynamic_ncols=True,
                    desc="train"))
            self._stack.enter_context(logging_redirect_tqdm([logging.getLogger("neat")]))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def update(self, loss: float, lr: float, bytes_per_second: float) -> None:
        if self._bar is None:
            return
        self._postfix.update({"loss": f"{loss:.3f}", "bpb": f"{loss / LN2:.3f}",
                              "lr": f"{lr:.2e}", "bytes/s": f"{bytes_per_second:,.0f}"})
        self._bar.set_postfix(self._postfix, refresh=False)
        self._bar.update(1)

    def set_eval(self, bpb: float | None) -> None:
        """Show the latest evaluation at once (the last one comes after the last step)."""
        if bpb == self._eval_bpb:
            return
        self._eval_bpb = bpb
        if self._bar is not None and bpb is not None:
            self._postfix["eval_bpb"] = f"{bpb:.3f}"
            self._bar.set_postfix(self._postfix)

"""Distributed data parallel under ``torchrun``: process group, collectives, wrapping.

Without torchrun every method is a cheap local no-op, so the trainer has one code path.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.distributed as dist

from neat_core.api import DistEnv

log = logging.getLogger("neat.train")


class Parallel:
    """The process group of a run (gloo on CPU, nccl on CUDA); a context manager."""

    def __init__(self, env: DistEnv, device: torch.device) -> None:
        self.env = env
        self.device = device
        self._owns_group = False

    def __enter__(self) -> Parallel:
        if self.env.distributed and not dist.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            init: dict[str, Any] = {"device_id": self.device} if backend == "nccl" else {}
            dist.init_process_group(backend, **init)
            self._owns_group = True
            log.info("distributed: rank %d of %d (%s)", self.env.rank, self.env.world_size,
                     backend)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._owns_group:
            if kind is None:  # every rank done: no rank tears gloo down under another
                dist.barrier()
            dist.destroy_process_group()

    @property
    def collective_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        if not self.env.distributed:
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def barrier(self) -> None:
        if self.env.distributed:
            dist.barrier()

    def max(self, values: list[float]) -> list[float]:
        """Element-wise maximum over ranks."""
        return self._reduce(values, dist.ReduceOp.MAX)

    def sum(self, values: list[float]) -> list[float]:
        return self._reduce(values, dist.ReduceOp.SUM)

    def _reduce(self, values: list[float], op: Any) -> list[float]:
        if not self.env.distributed:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64, device=self.collective_device)
        dist.all_reduce(tensor, op=op)
        return tensor.tolist()

    def gather(self, obj: Any) -> list[Any]:
        """``obj`` of every rank, in rank order (on every rank)."""
        if not self.env.distributed:
            return [obj]
        gathered: list[Any] = [None] * self.env.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

"""Where this process sits in a ``torchrun`` job, read from its environment."""

from __future__ import annotations

import os

import attrs


@attrs.frozen
class DistEnv:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @classmethod
    def from_environ(cls) -> DistEnv:
        """torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; a plain run has none of them."""
        return cls(rank=int(os.environ.get("RANK", 0)),
                   local_rank=int(os.environ.get("LOCAL_RANK", 0)),
                   world_size=int(os.environ.get("WORLD_SIZE", 1)))

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

"""The ``model`` section of the byte-gru model."""

from __future__ import annotations

import attrs

from neat_core.config import ModelConfig, setting


@attrs.frozen(kw_only=True)  # like every NEAT config section: immutable, keyword-only
class ByteGruConfig(ModelConfig):
    """Fields of ``model`` when ``model.name`` is ``byte-gru``; ``name`` comes from the base."""

    hidden_size: int = setting(128, min=8, help="Width of the byte embedding and GRU state.")
    num_layers: int = setting(1, min=1, help="Stacked GRU layers.")
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True,
                             help="Dropout between GRU layers (needs num_layers > 1).")
    block_size: int = setting(128, min=2, help="Bytes per training sequence and scoring "
                                               "window.")

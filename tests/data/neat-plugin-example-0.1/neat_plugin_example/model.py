"""A tiny recurrent byte model. Imports torch, so only the factory imports this module."""

from __future__ import annotations

import torch
from torch import nn

from .config import ByteGruConfig


class ByteGru(nn.Module):
    """Embedding -> GRU -> linear head: next-byte logits for every position."""

    def __init__(self, config: ByteGruConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(256, config.hidden_size)
        self.gru = nn.GRU(config.hidden_size, config.hidden_size, config.num_layers,
                          batch_first=True,
                          dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden_size, 256)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """``idx`` LongTensor[batch, time] of byte values -> logits [batch, time, 256]."""
        hidden, _ = self.gru(self.embed(idx))
        return self.head(hidden)

"""The key/value cache behind the entropy model's ``forward_cached``: the rotated keys
and values of the last bytes seen, so each byte of a long input is computed once."""

from __future__ import annotations

import torch


class KVCache:
    """Rotated keys and values of the last bytes each batch row has seen, per layer.

    Each layer's keys and values are a ring of ``capacity`` slots, ``[B, H, slots, D]``:
    position ``p`` lives in slot ``p % capacity``, so a call writes only its new
    positions. The capacity is ``block_size - 1`` plus the length of the call: it grows
    for a long call and shrinks back when bytes come one at a time.
    """

    def __init__(self, batch_size: int, block_size: int, layers: int,
                 history: int = 0) -> None:
        self.batch_size, self.block_size = batch_size, block_size
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.position = 0  # bytes seen so far: the absolute position of the next one
        self.capacity = 0
        self._mask = torch.empty(0)
        self.history = history  # raw bytes kept for the hash n-grams of the next call
        self._recent: torch.Tensor | None = None
        # how far back a result depends on earlier bytes: each layer attends block_size
        # - 1 further back, and the first layer's n-grams history more
        self.reach = layers * (block_size - 1) + history

    def with_history(self, idx: torch.Tensor) -> torch.Tensor:
        """The last ``history`` bytes seen, then ``idx``; keeps the new last ones."""
        full = idx if self._recent is None else torch.cat((self._recent, idx), dim=1)
        self._recent = full[:, full.shape[1] - min(self.history, full.shape[1]):]
        return full

    def advance(self, time: int, device: torch.device) -> int:
        """Make room for ``time`` new positions; returns the first one's position."""
        start, end = self.position, self.position + time
        needed = self.block_size - 1 + time
        # grow for a longer call; after one, shrink back for short ones (each byte then
        # attends over the slots it may see, not those a long call needed)
        if needed > self.capacity or (time == 1 and self.capacity > needed):
            self._resize(needed)
        slot = torch.arange(self.capacity, device=device)
        held = end - 1 - (end - 1 - slot) % self.capacity  # position in each slot then
        query = torch.arange(start, end, device=device)[:, None]
        distance = query - held[None, :]
        # new byte i sees the block_size bytes that end at it
        self._mask = (distance >= 0) & (distance < self.block_size) & (held >= 0)
        self.position = end
        return start

    def store(self, layer: int, keys: torch.Tensor, values: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Write a layer's new keys and values; all of them, and the attention mask."""
        ring_keys, ring_values = self.keys[layer], self.values[layer]
        if ring_keys is None or ring_values is None:
            shape = (*keys.shape[:2], self.capacity, keys.shape[3])
            ring_keys, ring_values = keys.new_zeros(shape), values.new_zeros(shape)
            self.keys[layer], self.values[layer] = ring_keys, ring_values
        time = keys.shape[2]
        first = (self.position - time) % self.capacity  # slot of the first new position
        split = min(time, self.capacity - first)  # the rest wraps around to slot 0
        for ring, new in ((ring_keys, keys), (ring_values, values)):
            ring[:, :, first:first + split] = new[:, :, :split]
            ring[:, :, :time - split] = new[:, :, split:]
        return ring_keys, ring_values, self._mask

    def _resize(self, capacity: int) -> None:
        """Re-lay the rings out for ``capacity`` slots (at least ``block_size - 1``),
        keeping what they hold."""
        kept = torch.arange(max(0, self.position - self.block_size + 1), self.position)
        for ring in (self.keys, self.values):
            for layer, old in enumerate(ring):
                if old is not None:
                    new = old.new_zeros((*old.shape[:2], capacity, old.shape[3]))
                    slots = kept.to(old.device)
                    new[:, :, slots % capacity] = old[:, :, slots % self.capacity]
                    ring[layer] = new
        self.capacity = capacity

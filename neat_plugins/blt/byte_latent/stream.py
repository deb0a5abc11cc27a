"""The BLT read as a stream, a piece at a time: exact incremental generation and scoring.

:class:`BltCache` holds what each row of a stream has left behind: the entropy model's
key/value cache and the patcher's state (patches are decided as bytes arrive, by the
rule ``forward`` applies), the local encoder's and decoder's key/value caches over
their window of bytes, the encoder states of the bytes a patch not yet pooled may
need, the latent transformer's cache over patches, and each row's current latent
output. :func:`step` computes the logits of new bytes from it.

The context rule, the one of ``forward`` over a window and of scoring (docs/blt.md,
"Long inputs"): a stream starts at its first byte; every ``block_size``-th byte starts
a patch; in every layer of the encoder and decoder each byte attends to the
``min(local_window, block_size)`` bytes that end at it; each latent position attends
to the positions whose patches start within the ``block_size`` bytes ending at its own
patch's start; the entropy model follows its own cache's rule. In a stream of at most
``block_size`` bytes that is exactly what ``forward`` computes over the same bytes.

In the reference layout the local caches hold tokens: a stream's first piece reads BOS
first (its logits are dropped), and each latent output is computed at the token that
closes its patch, one byte ahead of the neat layout's, since a byte's decoder reads the
patch of the byte after it (:mod:`.framing`; the patcher decides that byte's start
from the bytes before it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from neat_core.api import UsageError

from ..layers.kv_cache import KVCache
from .latent import LatentCache
from .patcher import PatchState

if TYPE_CHECKING:
    from .model import ByteLatentTransformer


class BltCache:
    """The state of ``batch_size`` streams that advance side by side (one position for
    all rows, as :mod:`neat_core.scoring` and :mod:`neat_core.sampling` feed them)."""

    def __init__(self, model: ByteLatentTransformer, batch_size: int,
                 device: torch.device) -> None:
        config = model.config
        self.batch_size = batch_size
        self.context = config.block_size
        self.framing = model.framing
        prefix = self.framing.vocabulary.prefix
        window = local_window(config.local_window, config.block_size + prefix)
        history = max(config.hash_ngrams) - 1 if config.hash_ngrams else 0
        entropy_model = model.patcher.entropy_model
        self.entropy = entropy_model.new_cache(batch_size) if entropy_model else None
        self.patches = PatchState.new(batch_size, device)
        self.encoder = KVCache(batch_size, window, config.encoder_layers, history)
        self.decoder = KVCache(batch_size, window, config.decoder_layers)
        # a piece holds at most block_size bytes and a patch as many, so the positions a
        # new one may attend to, and the bytes of a patch being pooled, fit in twice that
        # (a reference stream's BOS patch is one more: it starts a token earlier)
        self.latent = LatentCache(batch_size, config.latent_layers, self.context + prefix,
                                  2 * (self.context + prefix), device)
        self.states: torch.Tensor | None = None  # [B, 2 * block_size, local]: token states
        self.count = torch.zeros(batch_size, dtype=torch.long, device=device)  # patches
        # the token at which each row's last latent output was computed (a reference
        # stream's first closes the BOS patch, which ends before token 0)
        self.last_event = torch.full((batch_size,), -prefix, dtype=torch.long, device=device)
        self.current: list[tuple[torch.Tensor, torch.Tensor]] = []  # per decoder layer
        # the bytes of a stream a result depends on, and where a stream may start (the
        # patch blocks and static patches stay where a longer stream has them)
        entropy_reach = self.entropy.reach if self.entropy is not None else 0
        self.reach = (entropy_reach + 2 + history + prefix
                      + (config.encoder_layers + config.decoder_layers) * (window - 1)
                      + (config.latent_layers + 3) * self.context)
        self.align = (math.lcm(self.context, config.patch_size)
                      if config.patching == "static" else self.context)

    @property
    def position(self) -> int:
        return self.patches.position


def local_window(window: int | None, block_size: int) -> int:
    """The bytes a byte attends to in the local encoder and decoder."""
    return block_size if window is None else min(window, block_size)


def step(model: ByteLatentTransformer, idx: torch.Tensor, cache: BltCache) -> torch.Tensor:
    """Logits ``[B, t, 256]`` of ``t <= block_size`` new bytes of each stream."""
    batch, time = idx.shape
    if batch != cache.batch_size:
        raise UsageError(f"a batch of {batch} rows for a cache of {cache.batch_size}",
                         hint="make a cache per batch size")
    framing = cache.framing
    first_piece = cache.position == 0
    entropies = None
    if cache.entropy is not None:
        assert model.patcher.entropy_model is not None
        with torch.autocast(idx.device.type, enabled=False):
            entropies = model.patcher.entropy_model.entropies_cached(idx, cache.entropy)
    starts = model.patcher.starts(idx, entropies, state=cache.patches,
                                  following=framing.reads_next)
    tokens = framing.tokens(idx) if first_piece else framing.vocabulary.encode_more(idx)
    length = tokens.shape[1]
    position = cache.encoder.advance(length, idx.device)  # of the first new token
    rope = model.rotary.at(position, length)
    cache.decoder.advance(length, idx.device)
    x = model.encoder(tokens, rope, cache=cache.encoder)
    _keep_states(cache, x, position)
    # the tokens' columns of the patch starts: whether the latent output each reads is
    # new (the reference layout's next-byte column is its last token's)
    starts = starts[:, starts.shape[1] - length:]
    if not bool(starts.any()):  # every token reads its row's current patch
        index = torch.arange(batch, device=idx.device)[:, None].expand(-1, length)
        return framing.vocabulary.byte_logits(
            model.decoder(x, cache.current, index, rope, cache=cache.decoder)[:, -time:])
    new = _new_patches(model, cache, starts, position)
    # each decoder layer's latent keys and values: the rows' current patches, then the new
    tables = [(torch.cat((old[0], keys)), torch.cat((old[1], values)))
              for old, (keys, values) in zip(cache.current, new)] or new
    seen = starts.long().cumsum(1)  # new patches of each row up to each byte
    first = torch.cumsum(starts.sum(1), 0) - starts.sum(1)  # row's first in the new list
    offset = batch if cache.current else 0
    index = torch.where(seen == 0, torch.arange(batch, device=idx.device)[:, None],
                        offset + first[:, None] + seen - 1)
    logits = model.decoder(x, tables, index, rope, cache=cache.decoder)
    _keep_current(cache, new, starts, first)
    return framing.vocabulary.byte_logits(logits[:, -time:])


def _keep_states(cache: BltCache, x: torch.Tensor, position: int) -> None:
    """Keep the encoder states of the last ``2 * block_size`` tokens (a ring)."""
    ring = 2 * cache.context
    if cache.states is None:
        cache.states = x.new_zeros(x.shape[0], ring, x.shape[-1])
    slots = torch.arange(position, position + x.shape[1], device=x.device) % ring
    cache.states[:, slots] = x


def _new_patches(model: ByteLatentTransformer, cache: BltCache, starts: torch.Tensor,
                 position: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Run the latent transformer on the patches that start at this piece's tokens
    (each reads the patch it closes, pooled); each decoder layer's keys and values of
    their latent outputs, ``[M, heads, k, head_dim]``."""
    rows, offsets = starts.nonzero(as_tuple=True)  # in order: row by row, rising
    device = starts.device
    begins = position + offsets  # the token of each new latent output
    rank = starts.long().cumsum(1)[rows, offsets] - 1  # among the row's new ones
    index = cache.count[rows] + rank
    # the patch each new one closes: from the row's previous one to the token before
    # (neat), or to this token (reference: shift 1)
    closes = torch.where(rank == 0, cache.last_event[rows], begins.roll(1))
    shift = cache.framing.shift
    pooled = None
    done = (index > 0 if model.latent.start is not None else index >= 0).nonzero(
        as_tuple=True)[0]
    if len(done):
        lengths = begins[done] - closes[done]
        patch = torch.repeat_interleave(torch.arange(len(done), device=device), lengths)
        within = torch.arange(len(patch), device=device) - (
            torch.cumsum(lengths, 0) - lengths)[patch]
        assert cache.states is not None
        states = cache.states[rows[done][patch],
                              (closes[done][patch] + shift + within) % cache.states.shape[1]]
        closed = model.pooling(states, patch, len(done))
        pooled = closed.new_zeros(len(rows), *closed.shape[1:])
        pooled[done] = closed
    cache.count += starts.sum(1)
    cache.last_event.scatter_reduce_(0, rows, begins, "amax")  # each row's last
    out = model.latent.step(pooled, rows, index, begins, cache.latent)
    return model.decoder.latent_keys(out)


def _keep_current(cache: BltCache, new: list[tuple[torch.Tensor, torch.Tensor]],
                  starts: torch.Tensor, first: torch.Tensor) -> None:
    """Each row's current patch: the last that started in this piece, or the one
    before."""
    counts = starts.sum(1)
    rows = (counts > 0).nonzero(as_tuple=True)[0]
    last = first[rows] + counts[rows] - 1
    if not cache.current:
        cache.current = [(keys.new_zeros(cache.batch_size, *keys.shape[1:]),
                          values.new_zeros(cache.batch_size, *values.shape[1:]))
                         for keys, values in new]
    for (keys, values), (new_keys, new_values) in zip(cache.current, new):
        keys[rows] = new_keys[last]
        values[rows] = new_values[last]

"""The blt-entropy model: a causal byte-level transformer (nanoGPT-style).

Input: byte values ``idx`` (LongTensor ``[batch, time]``, 0-255). Output: logits
``[batch, time, 256]`` where position ``t`` predicts byte ``t + 1`` from bytes ``<= t``.
Pre-norm blocks of :mod:`..layers` with a fused QKV projection,
``scaled_dot_product_attention(is_causal=True)``, rotary or learned absolute positions,
optional tied input/output embeddings, optional hash n-gram embeddings. In the reference
layout (``model.layout``) it is transformers' ``BltPatcher``: it reads BOS before the
bytes and predicts 260 tokens, of which ``forward`` returns the byte values'
(:mod:`..layers.tokens`); a stream's first token is BOS in every path (window, stream,
cache), so all three compute the same.

With rotary positions the model also keeps a key/value cache (``new_cache`` and
``forward_cached``, the optional methods of the model contract in
:mod:`neat_core.scoring`): it scores long inputs and generates bytes computing each
position once. That is the context rule of its entropies everywhere (scoring, ``neat
patch``, the analysers and the BLT's patcher, :meth:`EntropyModel.stream`): in every
layer each token attends to the ``block_size`` positions that end at it (BOS included
in the reference layout: ``block_size + 1``; ``attention_window`` limits it further),
and its hash n-grams read the tokens before it, whatever came before the current window.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neat_core.api import UsageError, entropy_bits

from ..layers.attention import windowed
from ..layers.block import Block, init_weights
from ..layers.hash_ngrams import hash_embedding
from ..layers.kv_cache import KVCache
from ..layers.norms import make_norm
from ..layers.rope import Rotary
from ..layers.spec import LAYOUTS, VOCAB_SIZE
from ..layers.tokens import VOCABULARIES
from .settings import BltEntropyConfig, block_spec


class EntropyModel(nn.Module):
    """Causal decoder-only transformer over the 256 byte values (and, in the reference
    layout, the 4 special tokens)."""

    def __init__(self, config: BltEntropyConfig) -> None:
        super().__init__()
        self.config = config
        spec = block_spec(config)
        layout = LAYOUTS[config.layout]
        self.vocabulary = VOCABULARIES[layout.vocabulary]
        self.embed = nn.Embedding(self.vocabulary.size, config.hidden_size)
        self.hash_embed = hash_embedding(config.layout, config.hash_ngrams, config.hash_buckets,
                                         config.hidden_size)
        self.pos_embed = (nn.Embedding(config.block_size, config.hidden_size)
                          if config.positional == "learned" else None)
        # the positions of a full window's tokens (BOS first in the reference layout)
        self.positions = self.vocabulary.prefix + config.block_size
        # the tokens each one attends to, itself included
        self.window = min(config.attention_window or self.positions, self.positions)
        self.rotary = (Rotary(spec.head_dim, self.positions, config.rope_theta, layout.pairing)
                       if config.positional == "rope" else None)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(spec) for _ in range(config.num_layers))
        self.final_norm = make_norm(spec)
        self.head = nn.Linear(config.hidden_size, self.vocabulary.size, bias=False)
        if config.tie_weights:
            self.head.weight = self.embed.weight
        self.apply(init_weights)
        # GPT-2 style: scale the residual projections by depth
        for name, param in self.named_parameters():
            if name.endswith(("attn.proj.weight", "ffn.down.weight")):
                nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.num_layers))

    def num_parameters(self) -> int:
        """Trainable parameters, counting tied weights once."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_byte(self) -> dict[str, float]:
        """Analytic FLOPs per byte at a full context (the model contract's optional
        method; formulas in :mod:`.flops` and docs/blt.md)."""
        from .flops import entropy_model_flops

        return entropy_model_flops(self.config)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Next-byte logits ``[B, T, 256]``; with ``targets [B, T]`` also the mean
        cross-entropy loss in nats, as ``(logits, loss)``."""
        logits = self.vocabulary.byte_logits(self.token_logits(idx))
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))
        return logits, loss

    def token_logits(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits over the whole vocabulary at each byte, ``[B, T, vocabulary]``: the
        prediction of the token after byte ``t`` (``forward`` keeps the byte values')."""
        time = idx.shape[1]
        if time > self.config.block_size:
            raise UsageError(f"input of {time} bytes is longer than model.block_size "
                             f"({self.config.block_size})",
                             hint="score long inputs with neat_core.scoring.compute_entropies, "
                                  "which slides a window over them")
        tokens = self.vocabulary.encode(idx)
        positions = tokens.shape[1]
        x = self.embed(tokens)
        if self.hash_embed is not None:
            x = x + self.hash_embed(tokens)
        if self.pos_embed is not None:
            x = x + self.pos_embed(torch.arange(positions, device=idx.device))
        rope = self.rotary(positions) if self.rotary is not None else None
        attend = windowed(self.window) if self.window < positions else None
        x = self.dropout(x)
        for block in self.blocks:
            x = block(x, rope=rope, attend=attend, is_causal=attend is None)
        return self.vocabulary.at_bytes(self.head(self.final_norm(x)))

    def entropies(self, idx: torch.Tensor) -> torch.Tensor:
        """Entropy in bits of the next token at each byte, ``[B, T]`` (float32), over
        the whole vocabulary: what places the BLT's patches. In the reference layout it
        counts the special tokens, as transformers' patcher does, where the entropy of
        ``forward``'s logits sees the byte values only."""
        return entropy_bits(self.token_logits(idx))

    # --- the key/value cache (rotary positions only) ----------------------------------

    def new_cache(self, batch_size: int) -> KVCache | None:
        """An empty cache for ``batch_size`` rows; None with learned positions.

        Learned absolute positions cannot slide: a byte's keys depend on its place in
        the window, which changes as the window moves, so they would all be recomputed.
        """
        if self.rotary is None:
            return None
        history = max(self.hash_embed.sizes) - 1 if self.hash_embed is not None else 0
        return KVCache(batch_size, self.window, len(self.blocks), history)

    def stream(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, T, vocabulary]`` of each row of ``idx`` read as a stream from its
        first byte (BOS before it in the reference layout) by the context rule of the
        cache (the module docstring), in one pass: each token attends to the
        ``window`` positions that end at it (windowed attention in blocks), its n-grams
        see no token before the row's first."""
        if self.rotary is None:
            raise UsageError("stream needs rotary positions",
                             hint="new_cache gives no cache with learned positions")
        tokens = self.vocabulary.encode(idx)
        positions = tokens.shape[1]
        rope = self.rotary.at(0, positions)
        attend = windowed(self.window) if positions > self.window else None
        x = self.embed(tokens)
        if self.hash_embed is not None:
            x = x + self.hash_embed(tokens)
        for block in self.blocks:
            x = block(x, rope=rope, attend=attend, is_causal=attend is None)
        return self.vocabulary.at_bytes(self.head(self.final_norm(x)))

    def forward_cached(self, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits ``[B, t, 256]`` of ``t`` new bytes that follow those ``cache`` holds.

        New byte ``i`` is predicted from the ``block_size`` bytes that end at it (fewer
        at the start), as ``forward`` predicts the last byte of that window; the bytes
        are then appended to ``cache``, which keeps the last ``block_size - 1``.
        """
        return self.vocabulary.byte_logits(self.token_logits_cached(idx, cache))

    def entropies_cached(self, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """:meth:`entropies` of ``t`` new bytes that follow those ``cache`` holds."""
        return entropy_bits(self.token_logits_cached(idx, cache))

    def token_logits_cached(self, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits over the whole vocabulary ``[B, t, vocabulary]`` of ``t`` new bytes
        that follow those ``cache`` holds (a stream's first call reads BOS first)."""
        batch, time = idx.shape
        if batch != cache.batch_size:
            raise UsageError(f"a batch of {batch} rows for a cache of "
                             f"{cache.batch_size}", hint="make a cache per batch size")
        if self.rotary is None:
            raise UsageError("forward_cached needs rotary positions",
                             hint="new_cache gives no cache with learned positions")
        tokens = self.vocabulary.encode(idx) if cache.position == 0 else \
            self.vocabulary.encode_more(idx)
        length = tokens.shape[1]
        rope = self.rotary.at(cache.advance(length, idx.device), length)
        x = self.embed(tokens)
        if self.hash_embed is not None:  # the n-grams reach back into earlier calls
            x = x + self.hash_embed(cache.with_history(tokens))[:, -length:]
        for layer, block in enumerate(self.blocks):
            x = block(x, rope=rope, cache=cache, layer=layer)
        return self.head(self.final_norm(x))[:, length - time:]

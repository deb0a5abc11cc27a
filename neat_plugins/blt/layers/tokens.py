"""What the models read and predict: the 256 byte values (NEAT), or the reference
layout's 260 tokens.

The reference vocabulary is that of Meta's BLT and transformers' ``BltForCausalLM``:
token 0 is BOE/PAD, 1 BOS, 2 EOS, 3 reserved, and byte ``b`` is token ``b + 4``. A
reference model reads BOS before the bytes of every input, as transformers' tokenizer
writes it, and NEAT's contract stays ``forward(bytes) -> [B, T, 256]``: NEAT's logits at
byte ``t`` are the model's logits at token ``t + 1`` over the byte tokens 4..259.
"""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F

BYTE_OFFSET = 4  # reference token of byte 0
PAD, BOS, EOS = 0, 1, 2
REFERENCE_VOCAB_SIZE = 256 + BYTE_OFFSET


@attrs.frozen
class Vocabulary:
    size: int  # rows of the embedding, outputs of the head
    offset: int  # token of byte 0
    bos: bool  # whether a BOS token comes before the bytes

    @property
    def prefix(self) -> int:
        """Tokens before the first byte."""
        return int(self.bos)

    def encode(self, idx: torch.Tensor) -> torch.Tensor:
        """The tokens of byte values ``idx [B, T]``: ``[B, prefix + T]``."""
        tokens = self.encode_more(idx)
        return F.pad(tokens, (1, 0), value=BOS) if self.bos else tokens

    def encode_more(self, idx: torch.Tensor) -> torch.Tensor:
        """The tokens of bytes ``idx [B, T]`` that continue a stream (no BOS)."""
        return idx + self.offset if self.offset else idx

    def at_bytes(self, values: torch.Tensor) -> torch.Tensor:
        """Per-token values ``[B, prefix + T, ...]`` -> those of the bytes ``[B, T, ...]``."""
        return values[:, self.prefix:]

    def byte_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits over the vocabulary ``[..., size]`` -> over the byte values ``[..., 256]``."""
        return logits[..., self.offset:self.offset + 256] if self.size != 256 else logits


VOCABULARIES = {"bytes": Vocabulary(256, 0, False),
                "reference": Vocabulary(REFERENCE_VOCAB_SIZE, BYTE_OFFSET, True)}

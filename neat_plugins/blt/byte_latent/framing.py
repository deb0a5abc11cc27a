"""How the BLT's parts see a window of bytes, in each layout: the tokens the local
encoder reads, the patches the pooling closes, and the latent output each token's
decoder reads.

With ``p(t)`` the patch of byte ``t`` (``cumsum(starts) - 1``):

- neat: the tokens are the bytes, and the pooling and the decoder both use ``p(t)``. The
  latent transformer is shifted by a start vector, so byte ``t`` reads a summary of the
  patches before its own.
- reference (transformers' ``BltModel``): the tokens are BOS, then byte ``b`` as
  ``b + 4``. BOS is a patch of its own, so the pooling's patches of the tokens are
  ``0, p(0) + 1, ..., p(T-1) + 1``. The latent transformer is not shifted (its output
  ``j`` has seen patches ``0..j``: BOS and byte patches ``0..j-1``), and the decoder
  reads ``patch_lengths[1:]``: token ``s`` (BOS, or byte ``s - 1``) reads output
  ``p(s)``, the patch of the *next* byte -- which has seen every patch before the byte
  it predicts. The last token's next byte is past the window: it starts a patch when
  the patcher's rule says so there (``starts`` then has ``T + 1`` columns, see
  :meth:`.patcher.Patcher.starts`).

In both, token ``u``'s column of ``reads`` says whether the latent output it reads is
a new one, computed when the patch before it closes: the pooling's patch that ends at
token ``u - 1`` (neat) or at token ``u`` itself (reference, ``shift`` 1). A stream
(:mod:`.stream`) computes each latent output at that token.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layers.spec import LAYOUTS
from ..layers.tokens import VOCABULARIES
from .settings import BltConfig


class Framing:
    def __init__(self, config: BltConfig) -> None:
        self.vocabulary = VOCABULARIES[LAYOUTS[config.layout].vocabulary]
        # the reference decoder reads the patch of the byte after each token
        self.reads_next = config.layout == "reference"
        self.shift = int(self.reads_next)  # how far a closed patch reaches past its reader

    def tokens(self, idx: torch.Tensor) -> torch.Tensor:
        """What the local encoder reads for bytes ``idx [B, T]``."""
        return self.vocabulary.encode(idx)

    def pooling_starts(self, starts: torch.Tensor) -> torch.Tensor:
        """Where the pooling's patches of the tokens start, ``[B, tokens]``, from the
        byte patch starts (``[B, T + 1]`` when the decoder reads the next byte's)."""
        return F.pad(starts[:, :-1], (1, 0), value=True) if self.reads_next else starts

    def byte_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The decoder's logits over tokens -> the bytes' logits ``[B, T, 256]``."""
        return self.vocabulary.byte_logits(self.vocabulary.at_bytes(logits))

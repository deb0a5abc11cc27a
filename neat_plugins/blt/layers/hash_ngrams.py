"""Hash n-gram embeddings (BLT): each byte position also looks up the n-grams ending there.

For every ``n`` in the configured sizes, the ``n`` bytes ending at position ``t`` are
hashed with a rolling polynomial hash into ``buckets`` rows of an embedding table of
their own; the looked-up rows of all sizes are summed into the byte embedding. The
n-gram of position ``t`` covers bytes ``t-n+1..t`` only, so the embeddings stay causal.

The hash (written out so tests can check it by hand)::

    x(i)   = byte i + 1 for a byte of the input, 0 before its start (so a NUL byte and
             "no byte" differ)
    h_n(t) = (x(t-n+1) * B^(n-1) + ... + x(t-1) * B + x(t)) mod M
    bucket = h_n(t) mod buckets

with ``B = 1_000_003`` and ``M = 2^31 - 1``, evaluated term by term modulo ``M``
(:func:`all_ngram_hashes`), so every intermediate value fits in int64 on every device.

The reference layout hashes tokens as transformers' ``BltModel`` does, into one fused
table (:class:`FusedHashNgramEmbedding`).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

HASH_BASE = 1_000_003
HASH_MODULUS = 2**31 - 1


def all_ngram_hashes(idx: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
    """``h_n(t)`` for every position of ``idx [batch, time]`` and every ``n`` of
    ``sizes``, ``[batch, time, len(sizes)]`` (int64, in ``[0, M)``).

    The sum of Horner's rule, term by term: ``x(t-i) * (B^i mod M) mod M`` for
    ``i < n``, summed over ``i`` and reduced modulo ``M`` -- the same value, every
    product below ``2^62`` and every sum below ``2^35``, for all sizes at once."""
    longest = max(sizes)
    powers = [1]
    for _ in range(longest - 1):
        powers.append(powers[-1] * HASH_BASE % HASH_MODULUS)
    padded = F.pad(idx.long() + 1, (longest - 1, 0), value=0)
    # [batch, time, longest]: x(t), x(t-1), ..., each times its power of B
    recent = padded.unfold(-1, longest, 1).flip(-1)
    terms = recent * torch.tensor(powers, device=idx.device) % HASH_MODULUS
    sums = terms.cumsum(-1) % HASH_MODULUS  # sums[..., n - 1] = h_n(t)
    return sums[..., [n - 1 for n in sizes]]


def ngram_hashes(idx: torch.Tensor, n: int) -> torch.Tensor:
    """``h_n(t)`` for every position of ``idx [batch, time]`` (int64, in ``[0, M)``)."""
    return all_ngram_hashes(idx, [n])[..., 0]


class HashNgramEmbedding(nn.Module):
    """Sum over ``sizes`` of an embedding of each position's hashed n-gram."""

    def __init__(self, sizes: Sequence[int], buckets: int, dim: int) -> None:
        super().__init__()
        self.sizes = tuple(sizes)
        self.buckets = buckets
        self.tables = nn.ModuleList(nn.Embedding(buckets, dim) for _ in self.sizes)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """``[batch, time, dim]`` for ``idx [batch, time]``."""
        buckets = all_ngram_hashes(idx, self.sizes) % self.buckets
        out = self.tables[0](buckets[..., 0])
        for size, table in enumerate(self.tables[1:], start=1):
            out = out + table(buckets[..., size])
        return out


# --- the reference layout's hash n-grams (transformers' BltModel) -------------------------

# the fixed primes of the reference hash functions; function f uses the f-th (cycling)
REFERENCE_PRIMES = (1000000007, 5915587277, 1500450271, 3267000013, 5754853343, 4093082899,
                    9576890767, 3628273133, 2860486313, 5463458053, 3367900313)


def prime_hashes(tokens: torch.Tensor, n: int, prime: int) -> torch.Tensor:
    """The reference hash of the ``n`` tokens ending at each position of ``tokens [B, T]``:
    ``sum_i token(t-n+1+i) * prime^i`` (the oldest token has power 0, tokens before the
    start are 0), in int64 arithmetic that wraps around on overflow, as transformers'
    computes it (Horner's rule gives the same value modulo 2^64)."""
    time = tokens.shape[-1]
    padded = F.pad(tokens.long(), (n - 1, 0), value=0)
    hashes = torch.zeros_like(tokens, dtype=torch.long)
    for offset in reversed(range(n)):  # the newest token has the highest power
        hashes = hashes * prime + padded[..., offset:offset + time]
    return hashes


class FusedHashNgramEmbedding(nn.Module):
    """The reference layout's hash n-grams: for each hash function ``f`` (prime
    :data:`REFERENCE_PRIMES` ``[f]``) and each size ``n``, in that order, the bucket
    ``hash mod buckets`` of the n-gram ending at each token, looked up in its own slice of
    one fused table of ``buckets x functions x len(sizes)`` rows; the rows are summed."""

    def __init__(self, sizes: Sequence[int], buckets: int, functions: int, dim: int) -> None:
        super().__init__()
        self.sizes = tuple(sizes)
        self.groups = [(REFERENCE_PRIMES[f % len(REFERENCE_PRIMES)], n)
                       for f in range(functions) for n in self.sizes]
        self.buckets = buckets
        self.table = nn.Embedding(buckets * len(self.groups), dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[batch, time, dim]`` for ``tokens [batch, time]``."""
        return torch.stack([self.table(prime_hashes(tokens, n, prime) % self.buckets
                                       + group * self.buckets)
                            for group, (prime, n) in enumerate(self.groups)]).sum(0)


def hash_embedding(layout: str, sizes: Sequence[int], buckets: int, dim: int,
                   functions: int = 1) -> HashNgramEmbedding | FusedHashNgramEmbedding | None:
    """The hash n-gram embeddings of a layout (None without n-grams)."""
    if not sizes:
        return None
    if layout == "reference":
        return FusedHashNgramEmbedding(sizes, buckets, functions, dim)
    return HashNgramEmbedding(sizes, buckets, dim)

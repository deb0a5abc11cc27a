"""The settings of the shared layers that each model's ``model`` section offers: the
layout, the hash n-gram embeddings, the norms' epsilon (no torch: the settings load when
the plugin does)."""

from __future__ import annotations

from typing import Any

from neat_core.api import require, setting

MAX_NGRAM = 16


def layout_setting(model: str) -> Any:
    return setting(
        "neat",
        help=f"Layout of the {model}: neat (LayerNorm, GELU, rotary pairs of halves, the 256 "
             f"byte values) or reference (Meta's BLT as transformers' BltForCausalLM "
             f"computes it: RMSNorm, SwiGLU, interleaved rotary pairs, 260 tokens with BOS "
             f"before each input).",
        notes="The reference layout is what `neat import` makes of a transformers BLT "
              "folder and what `neat export --format transformers` writes; every command "
              "works on both (docs/released-blt.md).")


def norm_eps_setting() -> Any:
    return setting(1e-5, min=0, min_exclusive=True,
                   help="Epsilon of the norms (LayerNorm or RMSNorm).")


def hash_ngrams_setting(default: tuple[int, ...]) -> Any:
    # configs and checkpoints from before hash n-grams existed had none
    return setting(factory=lambda: list(default), legacy_default=[],
                   help="Sizes n of the hash n-gram embeddings summed into each byte's "
                        "embedding (e.g. [3, 4, 5, 6, 7, 8]); empty: none.",
                   notes="Each size has its own table of hash_buckets rows, indexed by a "
                         "rolling polynomial hash of the n bytes ending at the position "
                         "(docs/blt.md). Lookups cost no FLOPs; the tables add parameters.")


def hash_buckets_setting() -> Any:
    return setting(4096, min=1, help="Rows of each hash n-gram embedding table.")


def check_hash_ngrams(config: Any) -> None:
    sizes = config.hash_ngrams
    require(all(2 <= n <= MAX_NGRAM for n in sizes) and len(set(sizes)) == len(sizes),
            f"model.hash_ngrams must hold distinct sizes from 2 to {MAX_NGRAM}, got {sizes}",
            hint="e.g. [3, 4, 5, 6, 7, 8]; single bytes already have the byte embedding")

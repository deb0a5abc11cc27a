"""The tensors of a reference-layout model under transformers' names, both ways.

Each :class:`Pair` names one NEAT tensor and the transformers tensors it holds, in
order, stacked along the first dimension: NEAT's fused attention projections (``qkv``,
``key_value``) are transformers' ``q_proj``, ``k_proj`` and ``v_proj`` one after the
other (a Linear of stacked weights computes the same outputs). Every other tensor has
one name on each side. NEAT's ``patch_counts`` (bytes and patches seen in training) has
no counterpart and is not exported.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import attrs
import torch

from ..byte_latent.settings import BltConfig
from ..entropy_model.settings import BltEntropyConfig


@attrs.frozen
class Pair:
    neat: str
    transformers: tuple[str, ...]


def _attention(neat: str, hf: str, fused: bool) -> list[Pair]:
    q, k, v, o = (f"{hf}.{p}_proj.weight" for p in "qkvo")
    projections = ([Pair(f"{neat}.qkv.weight", (q, k, v))] if fused else
                   [Pair(f"{neat}.query.weight", (q,)), Pair(f"{neat}.key_value.weight", (k, v))])
    return [*projections, Pair(f"{neat}.proj.weight", (o,))]


def _block(neat: str, hf: str, fused: bool = False) -> list[Pair]:
    return [Pair(f"{neat}.attn_norm.weight", (f"{hf}.input_layernorm.weight",)),
            *_attention(f"{neat}.attn", f"{hf}.self_attn", fused),
            Pair(f"{neat}.ffn_norm.weight", (f"{hf}.post_attention_layernorm.weight",)),
            *(Pair(f"{neat}.ffn.{part}.weight", (f"{hf}.mlp.{part}_proj.weight",))
              for part in ("gate", "up", "down"))]


def _cross_attention(neat: str, query_norm: str, context_norm: str, hf: str) -> list[Pair]:
    """A BLT cross-attention: its two norms and its projections."""
    return [Pair(f"{neat}.{query_norm}.weight", (f"{hf}.q_norm.weight",)),
            Pair(f"{neat}.{context_norm}.weight", (f"{hf}.k_norm.weight",)),
            *_attention(f"{neat}.attn", hf, fused=False)]


def entropy_pairs(config: BltEntropyConfig, neat: str = "", hf: str = "") -> list[Pair]:
    """An entropy model's tensors (transformers' ``BltPatcher``), under prefixes."""
    return [Pair(f"{neat}embed.weight", (f"{hf}embed_tokens.weight",)),
            *(pair for i in range(config.num_layers)
              for pair in _block(f"{neat}blocks.{i}", f"{hf}layers.{i}", fused=True)),
            Pair(f"{neat}final_norm.weight", (f"{hf}norm.weight",)),
            Pair(f"{neat}head.weight", (f"{hf}lm_head.weight",))]


def blt_pairs(config: BltConfig) -> list[Pair]:
    """A reference-layout BLT's tensors (transformers' ``BltForCausalLM``)."""
    enc, dec = "model.local_encoder", "model.local_decoder"
    pairs = [Pair("encoder.embed.weight", (f"{enc}.embed_tokens.weight",)),
             Pair("encoder.hash_embed.table.weight", ("model.encoder_hash_tok_embedding.weight",)),
             *(pair for i in range(config.encoder_layers)
               for pair in _block(f"encoder.blocks.{i}", f"{enc}.layers.{i}")),
             Pair("pooling.init.weight", (f"{enc}.patch_embedding_projection.weight",)),
             *_cross_attention("pooling", "query_norm", "byte_norm", f"{enc}.cross_attn_layers.0"),
             *(pair for i in range(config.latent_layers)
               for pair in _block(f"latent.blocks.{i}", f"model.global_transformer.layers.{i}")),
             Pair("latent.output.weight", (f"{dec}.patch_embedding_projection.weight",)),
             *(pair for i in range(config.decoder_layers)
               for pair in (*_cross_attention(f"decoder.readers.{i}", "norm", "latent_norm",
                                              f"{dec}.cross_attn_layers.{i}"),
                            *_block(f"decoder.blocks.{i}", f"{dec}.layers.{i}"))),
             Pair("decoder.norm.weight", (f"{dec}.norm.weight",)),
             Pair("decoder.head.weight", ("lm_head.weight",))]
    if config.queries_per_patch * config.local_size != config.latent_size:
        pairs.append(Pair("latent.input.weight",
                          ("model.global_transformer.token_embedding_projection.weight",)))
    if config.patching == "global":
        pairs += entropy_pairs(config.entropy, "patcher.entropy_model.", "model.patcher.")
    return pairs


def to_transformers(state: Mapping[str, torch.Tensor], pairs: Iterable[Pair]
                    ) -> dict[str, torch.Tensor]:
    """transformers' tensors of a NEAT state dict (each its own contiguous copy)."""
    out: dict[str, torch.Tensor] = {}
    for pair in pairs:
        pieces = state[pair.neat].chunk(len(pair.transformers))
        out.update((name, piece.contiguous().clone())
                   for name, piece in zip(pair.transformers, pieces))
    return out


def transformers_shapes(state: Mapping[str, torch.Tensor], pairs: Iterable[Pair]
                        ) -> dict[str, tuple[int, ...]]:
    """The shape each transformers tensor must have to fill the NEAT tensors of
    ``state`` (a freshly built model's)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for pair in pairs:
        rows, *rest = state[pair.neat].shape
        shapes.update((name, (rows // len(pair.transformers), *rest))
                      for name in pair.transformers)
    return shapes


def from_transformers(read: Callable[[str], torch.Tensor], pairs: Iterable[Pair]
                      ) -> dict[str, torch.Tensor]:
    """The NEAT state dict of transformers' tensors, each read by ``read(name)``."""
    return {pair.neat: torch.cat([read(name) for name in pair.transformers])
            for pair in pairs}

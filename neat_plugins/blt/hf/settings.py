"""transformers' ``BltConfig`` <-> the ``model`` settings of NEAT's reference layout.

Every option that changes what transformers' ``BltForCausalLM`` computes either has a
NEAT setting or is refused with an error naming it (dropout, which only training uses,
stays NEAT's own setting; options transformers itself ignores are ignored). Entropy
thresholds are nats there and bits in NEAT: ``bits = nats / ln 2`` (the importer
records both).
"""

from __future__ import annotations

import math
from typing import Any

from neat_core.api import UsageError

from ..byte_latent.settings import BltConfig, latent_spec, local_spec, rope_theta
from ..entropy_model.settings import ENTROPY_MODEL, BltEntropyConfig, block_spec
from ..layers.tokens import BOS, EOS, PAD, REFERENCE_VOCAB_SIZE

PATCHER_PATCH_SIZE = 4  # transformers only tests that its patch_size is set


def nats_to_bits(nats: float) -> float:
    return nats / math.log(2)


def bits_to_nats(bits: float) -> float:
    return bits * math.log(2)


class Refusal:
    """Raises a one-line error naming the option of ``source`` that NEAT cannot hold."""

    def __init__(self, source: str) -> None:
        self.source = source

    def unless(self, ok: bool, option: str, value: Any, why: str) -> None:
        if not ok:
            raise UsageError(f"{self.source}: unsupported option {option} = {value!r} ({why})",
                             hint="NEAT's reference layout holds the BLTs of transformers' "
                                  "BltForCausalLM as released (docs/released-blt.md)")


def _rope_theta(part: Any, name: str, refuse: Refusal) -> float:
    rope = dict(getattr(part, "rope_parameters", None) or {})
    kind = rope.get("rope_type", "default")
    refuse.unless(kind == "default", f"{name}.rope_parameters.rope_type", kind,
                  "only the default rotary positions")
    refuse.unless("rope_theta" in rope, f"{name}.rope_parameters", rope, "no rope_theta")
    return float(rope["rope_theta"])


def _check_part(part: Any, name: str, refuse: Refusal) -> None:
    heads, kv_heads = part.num_attention_heads, part.num_key_value_heads
    refuse.unless(kv_heads in (None, heads), f"{name}.num_key_value_heads", kv_heads,
                  f"grouped-query attention; NEAT needs {heads}")
    act = getattr(part, "hidden_act", "silu")
    refuse.unless(act == "silu", f"{name}.hidden_act", act, "SwiGLU needs silu")
    vocab = getattr(part, "vocab_size", REFERENCE_VOCAB_SIZE)
    refuse.unless(vocab == REFERENCE_VOCAB_SIZE, f"{name}.vocab_size", vocab,
                  f"the reference vocabulary has {REFERENCE_VOCAB_SIZE} tokens")


def _same(refuse: Refusal, values: dict[str, Any], why: str) -> Any:
    """The one value the options of ``values`` share, or a refusal naming them."""
    first_name, first = next(iter(values.items()))
    for name, value in values.items():
        refuse.unless(value == first, name, value,
                      f"NEAT's {why} is one setting, and {first_name} = {first!r}")
    return first


def entropy_settings(patcher: Any, block_size: int, refuse: Refusal,
                     name: str = "patcher_config") -> dict[str, Any]:
    """The ``model`` section of a blt-entropy model for transformers' patcher config."""
    _check_part(patcher, name, refuse)
    refuse.unless(not patcher.tie_word_embeddings, f"{name}.tie_word_embeddings", True,
                  "the patcher's head has its own weights")
    return {"name": ENTROPY_MODEL, "layout": "reference", "hash_ngrams": [],
            "hidden_size": patcher.hidden_size, "num_layers": patcher.num_hidden_layers,
            "num_heads": patcher.num_attention_heads, "ffn_size": patcher.intermediate_size,
            "block_size": block_size, "rope_theta": _rope_theta(patcher, name, refuse),
            "norm_eps": patcher.rms_norm_eps, "attention_window": patcher.sliding_window}


def uses_patcher(config: Any) -> bool:
    """Whether transformers' BltModel patches by its patcher's entropies (else it gives
    every byte a patch of its own)."""
    return bool(config.patch_in_forward) and config.patching_mode == "entropy"


def blt_settings(config: Any, block_size: int, refuse: Refusal) -> dict[str, Any]:
    """The ``model`` section of a reference-layout ``blt`` for transformers' BltConfig
    (without the entropy model's, which the importer adds)."""
    encoder, decoder, latent = config.encoder_config, config.decoder_config, config.global_config
    refuse.unless(config.vocab_size == REFERENCE_VOCAB_SIZE, "vocab_size", config.vocab_size,
                  f"the reference vocabulary has {REFERENCE_VOCAB_SIZE} tokens")
    refuse.unless(not config.tie_word_embeddings, "tie_word_embeddings", True,
                  "the head has its own weights")
    for part, name in ((encoder, "encoder_config"), (decoder, "decoder_config"),
                       (latent, "global_config")):
        _check_part(part, name, refuse)
    k = _same(refuse, {"cross_attn_k": config.cross_attn_k,
                       "encoder_config.cross_attn_k": encoder.cross_attn_k,
                       "decoder_config.cross_attn_k": decoder.cross_attn_k}, "queries_per_patch")
    refuse.unless(decoder.hidden_size_global == latent.hidden_size,
                  "decoder_config.hidden_size_global", decoder.hidden_size_global,
                  f"global_config.hidden_size is {latent.hidden_size}")
    refuse.unless(not encoder.cross_attn_all_layers or encoder.num_hidden_layers == 1,
                  "encoder_config.cross_attn_all_layers", True,
                  "NEAT pools patches after the encoder's last layer only")
    refuse.unless(decoder.cross_attn_all_layers or decoder.num_hidden_layers == 1,
                  "decoder_config.cross_attn_all_layers", False,
                  "NEAT's decoder reads the latent output in every layer")
    entropy = uses_patcher(config)
    settings = {
        "name": "blt", "layout": "reference", "block_size": block_size,
        "patching": "global" if entropy else "static",
        "max_patch_size": config.max_patch_length,
        "local_window": config.local_attention_window_len,
        "local_size": _same(refuse, {"encoder_config.hidden_size": encoder.hidden_size,
                                     "decoder_config.hidden_size": decoder.hidden_size},
                            "local_size"),
        "local_heads": _same(refuse, {
            "encoder_config.num_attention_heads": encoder.num_attention_heads,
            "decoder_config.num_attention_heads": decoder.num_attention_heads}, "local_heads"),
        "local_ffn_size": _same(refuse, {
            "encoder_config.intermediate_size": encoder.intermediate_size,
            "decoder_config.intermediate_size": decoder.intermediate_size}, "local_ffn_size"),
        "encoder_layers": encoder.num_hidden_layers,
        "decoder_layers": decoder.num_hidden_layers,
        "latent_size": latent.hidden_size, "latent_heads": latent.num_attention_heads,
        "latent_layers": latent.num_hidden_layers,
        "latent_ffn_size": latent.intermediate_size,
        "queries_per_patch": k, "pooling": "max",
        "hash_ngrams": list(config.encoder_hash_byte_group_size),
        "hash_buckets": config.encoder_hash_byte_group_vocab,
        "hash_functions": config.encoder_hash_byte_group_nb_functions,
        "rope_theta": _same(refuse, {
            f"{name}.rope_parameters.rope_theta": _rope_theta(part, name, refuse)
            for part, name in ((encoder, "encoder_config"), (decoder, "decoder_config"),
                               (latent, "global_config"))}, "rope_theta"),
        "norm_eps": _same(refuse, {f"{name}.rms_norm_eps": part.rms_norm_eps
                                   for part, name in ((encoder, "encoder_config"),
                                                      (decoder, "decoder_config"),
                                                      (latent, "global_config"))}, "norm_eps"),
    }
    if entropy:
        settings["threshold"] = nats_to_bits(config.patching_threshold)
    else:
        settings["patch_size"] = 1
    return settings


# --- NEAT -> transformers ----------------------------------------------------------------

def _rope(theta: float) -> dict[str, Any]:
    return {"rope_type": "default", "rope_theta": theta}


def patcher_kwargs(entropy: BltEntropyConfig) -> dict[str, Any]:
    """transformers' BltPatcherConfig arguments for a reference-layout entropy model
    (one that transformers' patcher can hold: no hash n-grams, no tied weights)."""
    for extra, fix in ((entropy.hash_ngrams, "model.hash_ngrams=[]"),
                       (entropy.tie_weights, "model.tie_weights=false")):
        if extra:
            raise UsageError(f"the entropy model has {fix.split('=')[0].split('.')[1]} "
                             f"{extra}, which transformers' BLT patcher does not have",
                             hint=f"train the entropy model with --set {fix} to export it")
    return {"vocab_size": REFERENCE_VOCAB_SIZE, "hidden_size": entropy.hidden_size,
            "num_hidden_layers": entropy.num_layers, "num_attention_heads": entropy.num_heads,
            "num_key_value_heads": entropy.num_heads,
            "intermediate_size": block_spec(entropy).ffn_size,
            "max_position_embeddings": entropy.block_size + 1,
            "rms_norm_eps": entropy.norm_eps, "dropout": entropy.dropout,
            "rope_parameters": _rope(entropy.rope_theta),
            "sliding_window": entropy.attention_window, "tie_word_embeddings": False}


def blt_kwargs(blt: BltConfig) -> dict[str, Any]:
    """transformers' BltConfig arguments for a reference-layout ``blt`` config."""
    local, latent, theta = local_spec(blt), latent_spec(blt), rope_theta(blt)
    positions = blt.block_size + 1  # BOS first
    entropy = blt.patching == "global"

    def local_part(**extra: Any) -> dict[str, Any]:
        return {"vocab_size": REFERENCE_VOCAB_SIZE, "cross_attn_k": blt.queries_per_patch,
                "hidden_size_global": blt.latent_size, "hidden_size": blt.local_size,
                "num_attention_heads": blt.local_heads, "num_key_value_heads": blt.local_heads,
                "rms_norm_eps": blt.norm_eps, "dropout": blt.dropout,
                "max_position_embeddings": positions, "rope_parameters": _rope(theta),
                "hidden_act": "silu", "intermediate_size": local.ffn_size, **extra}

    return {
        "vocab_size": REFERENCE_VOCAB_SIZE, "max_position_embeddings": positions,
        "patch_in_forward": entropy, "patching_mode": "entropy" if entropy else "byte",
        "patch_size": PATCHER_PATCH_SIZE,
        "patching_threshold": bits_to_nats(blt.threshold),
        "max_patch_length": blt.max_patch_size,
        "local_attention_window_len": blt.local_window, "cross_attn_k": blt.queries_per_patch,
        "encoder_hash_byte_group_size": list(blt.hash_ngrams),
        "encoder_hash_byte_group_vocab": blt.hash_buckets,
        "encoder_hash_byte_group_nb_functions": blt.hash_functions,
        "patcher_config": patcher_kwargs(blt.entropy) if entropy else None,
        "encoder_config": local_part(num_hidden_layers=blt.encoder_layers,
                                     cross_attn_all_layers=False),
        "decoder_config": local_part(num_hidden_layers=blt.decoder_layers,
                                     cross_attn_all_layers=True),
        "global_config": {"hidden_size": blt.latent_size,
                          "num_attention_heads": blt.latent_heads,
                          "num_key_value_heads": blt.latent_heads,
                          "num_hidden_layers": blt.latent_layers,
                          "rms_norm_eps": blt.norm_eps, "dropout": blt.dropout,
                          "max_position_embeddings": positions, "rope_parameters": _rope(theta),
                          "hidden_act": "silu", "intermediate_size": latent.ffn_size},
        "tie_word_embeddings": False, "use_cache": False,
        "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD,
    }

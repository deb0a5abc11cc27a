"""Write a tiny random transformers BLT (BltForCausalLM with its entropy patcher) to a
folder, as ``save_pretrained`` writes a released one: the model of the walkthrough in
docs/released-blt.md, where no real weights can be downloaded.

    python examples/tiny_transformers_blt.py runs/tiny-blt-hf

Needs transformers (``pip install 'neat-entropy[hf]'``). The patcher's output layer is
scaled up so that its entropies vary from byte to byte, and the threshold lies in the
widest gap between the middle half of their values on a sample text, so patches of
several sizes come out and no entropy lies near the threshold.
"""

from __future__ import annotations

import argparse

import torch
from transformers import BltConfig, BltForCausalLM

SAMPLE = b"The quick brown fox jumps over the lazy dog. def add(a, b): return a + b\n"
BOS, OFFSET = 1, 4  # the BLT's tokens: BOS, then byte b as b + 4


def tiny_blt(seed: int = 0, max_patch_length: int | None = None) -> BltForCausalLM:
    torch.manual_seed(seed)
    local = {"hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 48,
             "hidden_size_global": 32, "cross_attn_k": 2}
    config = BltConfig(
        max_position_embeddings=129, patch_in_forward=True, patching_mode="entropy",
        max_patch_length=max_patch_length, local_attention_window_len=None, cross_attn_k=2,
        encoder_hash_byte_group_size=[3, 4, 5], encoder_hash_byte_group_vocab=64,
        encoder_hash_byte_group_nb_functions=1,
        patcher_config={"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                        "intermediate_size": 48, "max_position_embeddings": 129,
                        "sliding_window": None},
        encoder_config={**local, "num_hidden_layers": 1},
        decoder_config={**local, "num_hidden_layers": 2},
        global_config={"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1,
                       "intermediate_size": 96},
        bos_token_id=BOS, eos_token_id=2, pad_token_id=0, use_cache=False)
    model = BltForCausalLM(config).eval()
    with torch.no_grad():
        model.model.patcher.lm_head.weight.mul_(8.0)
        tokens = torch.tensor([[BOS] + [b + OFFSET for b in SAMPLE]])
        entropies = model.model.patcher(tokens)[0][0, 1:].sort().values
    middle = entropies[len(entropies) // 4: 3 * len(entropies) // 4]
    gap = int((middle[1:] - middle[:-1]).argmax())
    model.config.patching_threshold = float(middle[gap] + middle[gap + 1]) / 2
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tiny_blt(args.seed).save_pretrained(args.output_dir)
    print(f"wrote a tiny random BltForCausalLM to {args.output_dir}")


if __name__ == "__main__":
    main()

"""Writes the tiny checkpoints of this folder and the logits they give. It ran once, on
main at commit a45f402, before the blt plugin was split into layers/, entropy_model/,
byte_latent/, patching/ and commands/ (a checkout of that commit first on the path):

    git worktree add --detach /tmp/main-a45f402 a45f402
    cd tests/data/main_checkpoints && PYTHONPATH=/tmp/main-a45f402 python make.py

It uses only neat_core's functions and the registry, never the plugin's modules, so it
ran on the code whose checkpoints tests/test_blt_checkpoint_compat.py keeps loading.
Running it again on later code would record that code's checkpoints instead.
"""

from __future__ import annotations

import torch
from safetensors.torch import save_file

from neat_core import get_registry, load_model, save_checkpoint
from neat_core.config import config_from_dict

INPUT = b"def add(a, b):\n    return a + b\n"  # 32 bytes

MODELS = {
    "entropy": {"name": "blt-entropy", "hidden_size": 16, "num_layers": 2, "num_heads": 2,
                "block_size": 16, "hash_ngrams": [3, 4], "hash_buckets": 16},
    "entropy-learned": {"name": "blt-entropy", "hidden_size": 16, "num_layers": 1,
                        "num_heads": 2, "block_size": 32, "positional": "learned",
                        "tie_weights": True, "ffn_size": 24, "hash_ngrams": []},
    "blt": {"name": "blt", "local_size": 16, "local_heads": 2, "latent_size": 16,
            "latent_heads": 2, "latent_layers": 1, "block_size": 32, "hash_ngrams": [3],
            "hash_buckets": 16, "patching": "global", "threshold": 5.2, "max_patch_size": 3,
            "local_window": 8, "queries_per_patch": 2,
            "entropy_checkpoint": "entropy"},  # relative: this folder, when it was made
}


def main() -> None:
    torch.set_num_threads(1)  # as the test computes them (sums run in another order on more)
    for seed, (name, settings) in enumerate(MODELS.items()):
        config = config_from_dict({"model": settings})
        torch.manual_seed(seed)
        model = get_registry().models[settings["name"]].factory(config.model)
        if name == "entropy":
            with torch.no_grad():  # entropies that vary, so the BLT cuts several patches
                model.head.weight.mul_(30.0)
        save_checkpoint(name, model, config)
        loaded, _ = load_model(name)
        with torch.no_grad():
            logits = loaded(torch.tensor([list(INPUT[:settings["block_size"]])]))
        tensors = {"logits": logits.contiguous()}
        if name == "blt":
            tensors["starts"] = loaded.patcher.starts(torch.tensor([list(INPUT)]))
        save_file(tensors, f"{name}.logits.safetensors")


if __name__ == "__main__":
    main()

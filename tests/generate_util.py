"""A checkpoint whose model always generates the byte 0 (NUL), a control byte, greedily:
its output layer is zero, so every byte value is equally likely and the greedy pick is
the first of them."""

from __future__ import annotations

from pathlib import Path

# control bytes (ESC sequences, a carriage return, a bell), an invalid UTF-8 byte, text
CONTROL_PROMPT = b"red \x1b[31mALERT\x1b[0m\rover\x07 \xff end "


def nul_checkpoint(path: Path) -> Path:
    import torch

    import neat_core
    from neat_core.checkpoint import save_checkpoint
    from neat_core.config import config_from_dict

    config = config_from_dict({"model": {"name": "blt-entropy", "hidden_size": 16,
                                         "num_layers": 1, "num_heads": 2, "block_size": 16},
                               "backend": {"name": "cpu", "cpu": {"threads": 1}}})
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    with torch.no_grad():
        model.head.weight.zero_()
    return save_checkpoint(path, model, config, step=1)

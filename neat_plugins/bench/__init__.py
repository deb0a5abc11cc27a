"""``neat bench``: NEAT's training step beside a plain PyTorch loop, and scoring speed."""

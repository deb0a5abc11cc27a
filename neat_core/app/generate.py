"""``generate(checkpoint, prompt)``: sample bytes from any registered model, the Python
face of ``neat generate``.

    import neat_core
    neat_core.generate("runs/quickstart/checkpoints/best", b"def ", max_bytes=80)
"""

from __future__ import annotations

from pathlib import Path

from ..config import Overrides
from ..sampling import check_request, sample_stream
from ..session import open_checkpoint


def generate(checkpoint: str | Path, prompt: bytes | str, *, max_bytes: int = 256,
             temperature: float = 1.0, top_k: int | None = None, seed: int | None = None,
             overrides: Overrides = ()) -> bytes:
    """The bytes a checkpoint's model (a checkpoint or run directory) generates after
    ``prompt`` (a str is UTF-8 encoded).

    ``seed`` defaults to the config's ``run.seed``; ``overrides`` as for
    :func:`neat_core.evaluate` (e.g. ``{"backend.name": "cpu"}``).
    """
    data = prompt.encode("utf-8") if isinstance(prompt, str) else bytes(prompt)
    check_request(data, max_bytes, temperature, top_k)
    session = open_checkpoint(checkpoint, overrides)
    return bytes(sample_stream(session.model, data, max_bytes=max_bytes,
                               temperature=temperature, top_k=top_k,
                               seed=session.config.run.seed if seed is None else seed))

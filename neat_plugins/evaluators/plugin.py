"""Entry-point module of the evaluators plugin: registers the built-in evaluators.

Light on purpose: each factory imports its module (and torch) only when it is built.
"""

from __future__ import annotations

from neat_core.api import hookimpl

from .settings import BitsPerByteSettings


def _bits_per_byte(model, config, backend):
    from .bits_per_byte import BitsPerByte

    return BitsPerByte(model, config, backend)


def _entropy(model, config, backend):
    from .entropy import EntropyStats

    return EntropyStats(model, config, backend)


@hookimpl
def register_evaluators(register) -> None:
    register("bits-per-byte", _bits_per_byte, default=True, config_class=BitsPerByteSettings,
             description="Loss, perplexity and bits per byte with full sliding-window "
                         "context, beside gzip/bz2/xz")
    register("entropy", _entropy, default=True, analysis=True,
             description="Next-byte entropy statistics in bits, overall and by byte class")

"""The optional extra ``hf``: transformers, imported only by ``neat import`` and ``neat
export``, never at start-up."""

from __future__ import annotations

from types import ModuleType

from neat_core.api import UsageError

EXTRA = "hf"
TRANSFORMERS_REQUIREMENT = ">=5.23,<6"  # the versions whose BltForCausalLM NEAT matches
FIRST, BEYOND = (5, 23), (6, 0)


def require_transformers(command: str) -> ModuleType:
    """transformers, or a UsageError naming the extra that installs it."""
    hint = f"install the extra: pip install 'neat-entropy[{EXTRA}]'"
    try:
        import transformers
    except ImportError:
        raise UsageError(f"{command} needs transformers (the optional extra '{EXTRA}'), "
                         f"which is not installed", hint=hint) from None
    version = tuple(int(part) for part in transformers.__version__.split(".")[:2]
                    if part.isdigit())
    if not FIRST <= version < BEYOND:
        raise UsageError(f"{command} needs transformers{TRANSFORMERS_REQUIREMENT}, found "
                         f"{transformers.__version__}", hint=hint)
    return transformers

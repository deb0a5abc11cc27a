"""The application: NEAT's Python API, the faces ``neat`` commands call.

``train``, ``evaluate``, ``analyze``, ``compare`` and ``generate`` compose the services
(sessions, inputs, reports, training, sampling) for one task each; the command line
(:mod:`neat_core.cli`) is a thin face over them. Nothing below imports this package.
"""

from ..training.run import train
from .evaluate import analyze, compare, evaluate
from .generate import generate

__all__ = ["analyze", "compare", "evaluate", "generate", "train"]

"""Deprecated since 0.2: moved to :mod:`neat_core.settings.contract` (see CHANGELOG.md)."""

from .._deprecated import forward

forward(__name__, "neat_core.settings.contract")

"""Deprecated since 0.2: moved to :mod:`neat_core.settings.fields`; the names
plugins use are in :mod:`neat_core.api` (see CHANGELOG.md)."""

from .._deprecated import forward

forward(__name__, "neat_core.settings.fields",
        public=("Former", "section", "setting"))

"""Deprecated since 0.2: moved to :mod:`neat_core.sampling` (see CHANGELOG.md).
``neat_core.generate`` the function is unchanged."""

from ._deprecated import forward

forward(__name__, {"generate": "neat_core.app",
                   **dict.fromkeys(("check_request", "sample_stream", "has_cache", "VOCAB"),
                                   "neat_core.sampling")},
        call=("neat_core.app", "generate"))

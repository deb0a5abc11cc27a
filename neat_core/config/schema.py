"""Deprecated since 0.2: moved to :mod:`neat_core.settings.schema`; the names
plugins use are in :mod:`neat_core.api` (see CHANGELOG.md)."""

from .._deprecated import forward

forward(__name__, "neat_core.settings.schema",
        public=("BackendConfig", "CallbackConfig", "ModelConfig", "NeatConfig", "Settings",
                "frozen", "require"))

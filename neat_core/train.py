"""Deprecated since 0.2: moved to :mod:`neat_core.training.run` (see CHANGELOG.md).
``neat_core.train`` the function is unchanged."""

from ._deprecated import forward

forward(__name__, dict.fromkeys(("train", "find_checkpoint", "resume_config", "LATEST"),
                                "neat_core.training.run"),
        call=("neat_core.training.run", "train"))

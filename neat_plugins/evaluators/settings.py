"""The evaluators' settings classes (light: the entry-point module imports them)."""

from __future__ import annotations

from neat_core.api import Settings, frozen, setting


@frozen
class BitsPerByteSettings(Settings):
    compressors: bool = setting(True, help="Also report gzip, bz2 and xz bits per byte.",
                                formerly=("eval.compressors",))

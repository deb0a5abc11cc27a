"""Settings of the built-in data sources (sections ``data.<source>``)."""

from __future__ import annotations

from neat_core.api import Settings, frozen, require, setting


@frozen
class FilesSettings(Settings):
    decompress: bool = setting(
        True, help="Read gzip, bz2, xz and zstd files decompressed (recognised by their "
                   "first bytes, whatever their names); false reads every file as stored.")


@frozen
class JsonlSettings(Settings):
    field: str = setting(
        "text", help="The field of each JSON object that holds a document's text; a "
                     "dotted path reaches into nested objects (e.g. meta.body).")
    patterns: list[str] = setting(
        factory=lambda: ["*.jsonl", "*.jsonl.*", "*.ndjson", "*.ndjson.*"],
        help="File names read as JSON lines (glob patterns, compressed or not); other "
             "files go to other sources, e.g. raw files.")

    def __attrs_post_init__(self) -> None:
        require(bool(self.field) and "" not in self.field.split("."),
                f"data.jsonl.field {self.field!r} is not a field name",
                hint="e.g. text, or meta.body for a nested field")


@frozen
class ArrowSettings(Settings):
    column: str = setting(
        "text", help="The column that holds each document (text or binary) in Parquet "
                     "and Arrow files and saved Hugging Face datasets.")


@frozen
class SyntheticSettings(Settings):
    documents: int = setting(1000, min=1, help="Documents generated per synthetic source.")
    min_length: int = setting(64, min=1, help="Shortest synthetic document, in bytes.")
    max_length: int = setting(2048, min=1, max=1 << 24,
                              help="Longest synthetic document, in bytes (lengths are "
                                   "drawn uniformly between min_length and max_length).")

    def __attrs_post_init__(self) -> None:
        require(self.min_length <= self.max_length,
                f"data.synthetic.min_length ({self.min_length}) is larger than "
                f"data.synthetic.max_length ({self.max_length})",
                hint="make min_length <= max_length")

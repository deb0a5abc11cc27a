"""Turning bytes, entropies and patch starts into displayable pieces, shared by the
text and html reports.

Entropies come as ``compute_entropies`` gives them: entry t is the entropy of the
prediction of byte t+1. A byte is shaded by the entropy of its own prediction -- how
unsure the model was about it -- so byte i gets entry i-1 (byte 0, which nothing
predicts, gets 0). In global mode a patch then starts exactly at the bytes shaded above
the threshold.

A piece is one UTF-8 character (or one undecodable byte): multi-byte characters are
shown once, with the mean entropy of their bytes, and start a patch when any of their
bytes (after the first of the preview) does.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import attrs

from neat_core.api import MAX_BITS

REPLACEMENT = "·"  # shown for control bytes and bytes that are not valid UTF-8


@attrs.frozen
class Piece:
    text: str
    entropy: float
    starts_patch: bool
    offset: int
    size: int


def _utf8_length(lead: int) -> int:
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 1


def _display(character: str) -> str:
    if character == "\t":
        return "    "
    if character == "\r":
        return ""
    if character != "\n" and (ord(character) < 0x20 or ord(character) == 0x7F):
        return REPLACEMENT
    return character


def pieces(data: bytes, entropies: Sequence[float], boundaries: Iterable[int]) -> list[Piece]:
    """``data`` split into displayable pieces with their entropy and patch starts."""
    starts = set(boundaries) - {0}
    result, offset = [], 0
    while offset < len(data):
        size = min(_utf8_length(data[offset]), len(data) - offset)
        try:
            text = _display(data[offset: offset + size].decode("utf-8"))
        except UnicodeDecodeError:
            size, text = 1, REPLACEMENT
        own = [entropies[i - 1] if 0 < i <= len(entropies) else 0.0
               for i in range(offset, offset + size)]
        entropy = float(sum(own) / len(own))
        result.append(Piece(text, entropy, any(o in starts for o in range(offset, offset + size)),
                            offset, size))
        offset += size
    return result


def level(entropy: float, levels: int) -> int:
    """The shade (0 .. levels-1) of an entropy in bits."""
    return max(0, min(levels - 1, int(entropy / MAX_BITS * levels)))

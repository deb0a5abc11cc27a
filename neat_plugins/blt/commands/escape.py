"""Patch bytes as one line of printable text, the way ``neat patch --format text`` and
``:patches`` show them."""

from __future__ import annotations

_ESCAPES = {"\\": "\\\\", "|": "\\|", "\n": "\\n\n", "\t": "\\t", "\r": "\\r"}


def escape(data: bytes) -> str:
    """``data`` as printable text: UTF-8 where valid, ``\\xNN`` for other bytes and
    non-printable characters, ``\\|`` and ``\\\\`` for the marker and the escape
    character; a newline shows as ``\\n`` followed by a line break."""
    text = data.decode("utf-8", errors="surrogateescape")
    return text.translate({ord(char): _escape_char(char) for char in set(text)})


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not valid UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if not char.isprintable():
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char

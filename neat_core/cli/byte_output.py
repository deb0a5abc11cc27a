"""Writing bytes a model made to stdout: exactly as they are into a file or pipe, and on
a terminal as text in which nothing can act on the terminal itself.

A terminal obeys control bytes: ESC starts sequences that move the cursor, recolour,
retitle the window or even answer back as if typed, and a carriage return overwrites
the line. So on a terminal every byte that is not printable text is shown as an
escape: control bytes and DEL as ``\\x1b``, ``\\r``, ..., bytes that are not valid
UTF-8 as ``\\xff``, C1 controls and the bidirectional overrides that reorder what is
shown as ``\\u202e``. Newlines and tabs stay as they are.
"""

from __future__ import annotations

import codecs
from typing import IO, Protocol, TextIO

_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f", "\a": "\\a", "\b": "\\b"}
_BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}  # embeddings, overrides, isolates


def _escape(character: str) -> str:
    code = ord(character)
    if character in "\n\t":
        return character
    if character in _NAMED:
        return _NAMED[character]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if 0x80 <= code <= 0x9F or code in _BIDI:
        return f"\\u{code:04x}"
    return character


_TABLE = {code: _escape(chr(code)) for code in
          (*range(0x20), 0x7F, *range(0x80, 0xA0), *_BIDI, *range(0xDC80, 0xDD00))}


def escape_text(text: str) -> str:
    """``text`` with everything a terminal would act on shown as an escape."""
    return text.translate(_TABLE)


class ByteOutput(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None:
        """End the output with a newline."""


class RawOutput:
    """The bytes as they are (a file or a pipe), flushed as they come."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()

    def close(self) -> None:
        self.write(b"\n")


class TerminalOutput:
    """UTF-8 text with every non-printable byte escaped (a character whose bytes arrive
    one at a time is shown once it is whole)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

    def write(self, data: bytes) -> None:
        self.stream.write(escape_text(self.decoder.decode(data)))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write(escape_text(self.decoder.decode(b"", final=True)) + "\n")
        self.stream.flush()


def byte_output(stream: TextIO) -> ByteOutput:
    """The output for ``stream`` (stdout): escaped on a terminal, raw elsewhere."""
    if stream.isatty():
        return TerminalOutput(stream)
    return RawOutput(stream.buffer)

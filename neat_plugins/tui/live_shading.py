"""The line being typed at ``neat analyze -i``, shaded by entropy as it is typed.

Each character gets a background from dark (the model was sure of it) to red (8 bits:
it had no idea), the ramp of the text report, from the model's next-byte entropies of
the line so far; Enter then shows the patches and the statistics. A byte is shaded by
the entropy of its own prediction (byte 0, which nothing predicts, is not shaded);
a character of several bytes by their mean. Lines of commands (``:...``) are not
shaded, nor bytes past ``LIMIT`` (a pasted book would be scored on every key).
"""

from __future__ import annotations

from typing import Callable, Sequence

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from neat_core.api import MAX_BITS

# the text report's 256-colour backgrounds (17, 19, 55, 91, 127, 161, 196) as RGB
RAMP = ("", "bg:#00005f", "bg:#0000af", "bg:#5f00af", "bg:#8700af", "bg:#af00af",
        "bg:#d7005f", "bg:#ff0000")
LIMIT = 4096  # bytes of a line shaded

Entropies = Callable[[bytes], Sequence[float]]


class EntropyLexer(Lexer):
    """Shades plain lines with ``entropies(line bytes)`` (entry t: the entropy of the
    prediction of byte t+1, as :func:`neat_core.api.compute_entropies` gives them)."""

    def __init__(self, entropies: Entropies) -> None:
        self.entropies = entropies
        self._last: tuple[bytes, Sequence[float]] = (b"", ())

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines

        def line(number: int) -> StyleAndTextTuples:
            text = lines[number]
            return [("", text)] if text.startswith(":") else self.shade(text)

        return line

    def shade(self, text: str) -> StyleAndTextTuples:
        data = text.encode("utf-8", errors="surrogateescape")[:LIMIT]
        values = self._values(data)
        out: StyleAndTextTuples = []
        offset = 0
        for character in text:
            size = len(character.encode("utf-8", errors="surrogateescape"))
            own = [values[i - 1] for i in range(max(offset, 1), offset + size)
                   if i - 1 < len(values)]
            level = min(len(RAMP) - 1, int(sum(own) / len(own) / MAX_BITS * len(RAMP))) \
                if own else 0
            out.append((f"{RAMP[level]} fg:#ffffff" if level else "", character))
            offset += size
        return out

    def _values(self, data: bytes) -> Sequence[float]:
        """The entropies of ``data``, computed once per line (a render asks per line)."""
        if len(data) < 2:
            return ()
        if self._last[0] != data:
            self._last = (data, self.entropies(data))
        return self._last[1]

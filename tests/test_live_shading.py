"""The menu's "text I type, shaded as I go" (`neat analyze -i`): the line is shaded by
entropy while it is typed, before Enter, through the real prompt."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.color_depth import ColorDepth
from prompt_toolkit.output.vt100 import Vt100_Output

from neat_core.session import open_checkpoint
from neat_plugins.tui.interactive import Loop, _terminal_reader
from neat_plugins.tui.live_shading import EntropyLexer

from .eval_helpers import tiny_blt
from .menu_keys import CTRL_C

RED = "48;2;255;0;0"  # the ramp's top: 7-8 bits, an untrained model's entropies


def test_the_line_is_shaded_while_it_is_typed(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    session = open_checkpoint(tiny_blt(tmp_path / "ckpt"), {"backend.name": "cpu"})
    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=24, columns=100), term="xterm",
                          default_color_depth=ColorDepth.TRUE_COLOR)
    with create_pipe_input() as keys, create_app_session(input=keys, output=output):
        read = _terminal_reader(Loop(session))

        def once_drawn(app) -> None:  # "hello" on the screen: leave without Enter
            if app.current_buffer.text == "hello":
                keys.send_text(CTRL_C)

        read.__self__.app.after_render += once_drawn
        keys.send_text("hello")
        with pytest.raises(KeyboardInterrupt):
            read()
    drawn = screen.getvalue()
    # "h" unshaded (nothing predicts it), "ello" white on red, drawn before any Enter
    assert f"h\x1b[0;38;2;255;255;255;{RED}mello" in drawn


def test_each_character_is_shaded_by_its_own_prediction():
    lexer = EntropyLexer(lambda data: [0.0, 8.0, 4.0, 1.0][:len(data)])
    styles = [style for style, _ in lexer.shade("abcd")]
    # byte 0: nothing predicts it; byte i: the entropy of prediction i-1 (0, 8, 4 bits)
    assert styles == ["", "", "bg:#ff0000 fg:#ffffff", "bg:#8700af fg:#ffffff"]
    assert lexer.lex_document(Document(":set x=1"))(0) == [("", ":set x=1")]  # a command

"""A form: questions asked in order, where Esc goes back to the question asked before
(and, at the first one, out of the form); what was answered from there on is offered
again as the default (``form.earlier``)."""

from __future__ import annotations

from typing import Any, Callable

from ..prompts import Back


class Form:
    """``form.question(key, ask, when=...)`` adds a question; ``form.run()`` asks them and
    returns the answers by key. ``ask`` and ``when`` may read the answers given so far
    (``form.answers``) and the answer given before Esc went back past it
    (``form.earlier``); a question whose ``when`` is false is skipped, and has no
    answer."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.earlier: dict[str, Any] = {}
        self._questions: list[tuple[str, Callable[[], Any], Callable[[], bool]]] = []

    def question(self, key: str, ask: Callable[[], Any],
                 when: Callable[[], bool] = lambda: True) -> Form:
        self._questions.append((key, ask, when))
        return self

    def run(self) -> dict[str, Any]:
        asked: list[int] = []  # the questions shown, in order, for Esc to go back through
        index = 0
        while index < len(self._questions):
            key, ask, when = self._questions[index]
            if not when():
                index += 1
                continue
            try:
                self.answers[key] = ask()
            except Back:
                if not asked:
                    raise
                index = asked.pop()
                for later, _, _ in self._questions[index:]:
                    if later in self.answers:
                        self.earlier[later] = self.answers.pop(later)
                continue
            asked.append(index)
            index += 1
        return self.answers

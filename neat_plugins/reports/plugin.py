"""Entry-point module of the reports plugin: registers text, json and html.

Light on purpose: a report's module (and matplotlib) is imported when it is built.
"""

from __future__ import annotations

from neat_core.api import hookimpl


def _text(config):
    from .text import TextReport

    return TextReport()


def _json(config):
    from .json_report import JsonReport

    return JsonReport()


def _html(config):
    from .html import HtmlReport

    return HtmlReport()


@hookimpl
def register_reports(register) -> None:
    register("text", _text, default=True,
             description="Terminal summary; colour and entropy shading on a TTY")
    register("json", _json, description="<kind>.json with stable, documented keys")
    register("html", _html, description="<kind>.html: one self-contained page with plots")

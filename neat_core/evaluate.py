"""Deprecated since 0.2: the evaluation API moved (see CHANGELOG.md). ``neat_core.evaluate``
the function is unchanged."""

from ._deprecated import forward

forward(__name__, {
    **dict.fromkeys(("evaluate", "analyze", "compare"), "neat_core.app"),
    **dict.fromkeys(("Session", "open_checkpoint", "resolve_checkpoint", "write_reports",
                     "Documents", "analysis_results", "DocumentStream", "load_documents"),
                    "neat_core.api"),
    **dict.fromkeys(("evaluation_results", "RESULTS_SCHEMA_VERSION"), "neat_core.session"),
    **dict.fromkeys(("document_stream", "as_bytes", "TEXT_DOCUMENT"), "neat_core.inputs"),
    "report_writers": "neat_core.reporting",
}, call=("neat_core.app", "evaluate"))

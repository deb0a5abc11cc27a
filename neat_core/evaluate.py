"""Deprecated since 0.2: the evaluation API moved (see CHANGELOG.md). ``neat_core.evaluate``
the function is unchanged."""

from ._deprecated import forward

forward(__name__, {
    **dict.fromkeys(("evaluate", "analyze", "compare"), "neat_core.app"),
    **dict.fromkeys(("Session", "open_checkpoint", "resolve_checkpoint", "write_reports",
                     "Documents"), "neat_core.api"),
    **dict.fromkeys(("evaluation_results", "analysis_results", "RESULTS_SCHEMA_VERSION"),
                    "neat_core.session"),
    **dict.fromkeys(("DocumentStream", "document_stream", "load_documents", "as_bytes",
                     "TEXT_DOCUMENT"), "neat_core.inputs"),
    "report_writers": "neat_core.reporting",
}, call=("neat_core.app", "evaluate"))

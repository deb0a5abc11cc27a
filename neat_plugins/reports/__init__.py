"""Built-in report writers: text (terminal), json (stable keys), html (one file with plots)."""

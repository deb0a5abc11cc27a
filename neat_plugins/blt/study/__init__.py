"""``neat study blt``: the byte model against BLTs of several patchings, matched in
training FLOPs on the same bytes, on one held-out set (docs/blt.md, "The study").

- :mod:`.arms`: the arms, their models and their FLOPs (no torch);
- :mod:`.plan`: budgets, seeds and the runs they make; the study's directory;
- :mod:`.runner`: the data, the entropy model, training, resuming and evaluating runs;
- :mod:`.report`: the JSON, Markdown and HTML reports;
- :mod:`.command`: the command.

This package's ``__init__`` imports nothing.
"""

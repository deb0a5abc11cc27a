"""Entropy patching without a model: numpy only, no torch.

- :mod:`.settings`: the ``patching`` section (modes, thresholds, sizes);
- :mod:`.rules`: where patches start, the rules the BLT's in-model patcher shares;
- :mod:`.calibration`: the threshold whose patches average a target size;
- :mod:`.stream`: :class:`~.stream.PatchStream`, the rules over a stream;
- :mod:`.evaluator`: the ``patches`` evaluator of ``neat eval`` and ``neat analyze``.

This package's ``__init__`` imports nothing, so the plugin loads the settings alone.
"""

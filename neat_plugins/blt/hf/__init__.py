"""Hugging Face transformers' BLT, in and out (``neat import``, ``neat export``):

- :mod:`.requirement`: the optional extra ``hf`` (transformers), imported only here;
- :mod:`.settings`: transformers' ``BltConfig`` <-> the settings of NEAT's reference
  layout, and what NEAT does not support (no torch);
- :mod:`.weights`: the names and the fusing of the tensors;
- :mod:`.folder`: reading a folder that ``save_pretrained`` wrote, headers first;
- :mod:`.importer`, :mod:`.exporter`: the two commands' work.

This package's ``__init__`` imports nothing, so ``neat --help`` stays light.
"""

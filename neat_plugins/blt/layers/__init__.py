"""The transformer layers both models are built from: one set of blocks.

- :mod:`.spec`: ``BlockSpec``, the sizes of a block and the variant of each part, and
  the layouts (``neat``, ``reference``) that choose the variants of a whole model;
- :mod:`.tokens`: the vocabularies (256 byte values, or the reference layout's 260
  tokens with BOS);
- :mod:`.attention`: multi-head attention (self or cross, masks, rotary positions, a
  key/value cache);
- :mod:`.rope`: rotary position tables and the rotation;
- :mod:`.norms`, :mod:`.feed_forward`: the parts a ``BlockSpec`` names;
- :mod:`.block`: the pre-norm block and the weight initialisation;
- :mod:`.hash_ngrams`: hash n-gram embeddings (NEAT's and the reference layout's);
- :mod:`.kv_cache`: the ring of keys and values behind ``forward_cached``;
- :mod:`.settings` and :mod:`.flops`: the settings and FLOP counts of these layers
  (no torch: the plugin's settings and the FLOP formulas import them at start-up).

This package's ``__init__`` imports nothing, so importing its light modules stays light.
"""

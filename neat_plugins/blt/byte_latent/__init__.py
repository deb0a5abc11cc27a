"""The full Byte Latent Transformer (model ``blt``), one module per part:

- :mod:`.settings`: its ``model`` section (no torch);
- :mod:`.model`: ``ByteLatentTransformer``, the parts wired together;
- :mod:`.patcher`: where patches start, inside ``forward`` (the rules of
  :mod:`..patching.rules`), and the frozen entropy model;
- :mod:`.encoder`: byte states; :mod:`.pooling`: each patch pooled into ``k`` vectors;
- :mod:`.latent`: the latent transformer over patches;
- :mod:`.decoder`: bytes read the latent output, then the 256-way head;
- :mod:`.flops`: the analytic FLOP count.
"""

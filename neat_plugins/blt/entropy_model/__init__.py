"""The blt-entropy model: the small causal byte LM whose next-byte entropies place the
patch boundaries. :mod:`.settings` (its ``model`` section, no torch), :mod:`.model`,
:mod:`.flops`."""

"""The blt plugin's commands: ``neat patch`` (:mod:`.patch`) and the interactive
analysis commands ``:mode``, ``:threshold``, ``:patches``, ... (:mod:`.interactive`)."""

"""The blt plugin's commands: ``neat patch`` (:mod:`.patch`), ``neat import`` and ``neat
export`` (:mod:`.interop`), and the interactive analysis commands ``:mode``,
``:threshold``, ``:patches``, ... (:mod:`.interactive`)."""

"""The terminal face of NEAT: ``neat menu`` and the interactive analysis loop."""

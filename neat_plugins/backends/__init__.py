"""Built-in device backends: ``cpu``, ``cuda`` and ``mps``, one entry point each.

Each module holds a :class:`neat_core.backends.Backend` subclass and its
``register_backends`` hook; torch is imported inside methods only. The module-level
``_*`` probe functions are the only places that ask the machine what it has, so tests
can replace them to simulate hardware.
"""

"""The schema's definitions: how a field is declared (``setting``, ``section``), the
core's sections and the base classes of plugin settings, and the rules a plugin's
settings class must follow. The kernel's registry checks settings classes with these;
reading, resolving and validating configs is :mod:`neat_core.config`, above it."""

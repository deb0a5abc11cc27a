"""Names a package offers but loads on first use (PEP 562), so importing the package
stays cheap: ``import neat_core`` loads the kernel, not the services behind its names.

A package lists its lazy names once per module and imports them again under
``TYPE_CHECKING`` for type checkers::

    __getattr__ = lazy(__name__, {".backends": ("Backend", "select_backend")})
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable, Iterable, Mapping


def lazy(module_name: str, homes: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """The ``__getattr__`` of module ``module_name``: each name of ``homes[path]`` is
    imported from module ``path`` (relative to the module's package) when first asked
    for, and kept in the module's namespace after that."""
    home_of = {name: path for path, names in homes.items() for name in names}
    module = sys.modules[module_name]
    package = module_name if hasattr(module, "__path__") else module_name.rpartition(".")[0]

    def __getattr__(name: str) -> Any:
        if name not in home_of:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(import_module(home_of[name], package), name)
        setattr(module, name, value)
        return value

    return __getattr__

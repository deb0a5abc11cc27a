"""Import paths that moved keep working for at least one minor version.

A module that moved leaves a forwarder at its old path: each name it offered still
resolves, with a DeprecationWarning naming where to import it from now (CHANGELOG.md
lists every move). A forwarder is imported only by code written against an older
release; nothing in NEAT imports one.
"""

from __future__ import annotations

import sys
import types
import warnings
from importlib import import_module
from typing import Any, Iterable, Mapping


class _CallableModule(types.ModuleType):
    """An old module that shared its name with a function of ``neat_core`` (``train``,
    ``evaluate``, ``generate``): once imported it replaces the function as the package's
    attribute, so calling it must still call the function."""

    _call: tuple[str, str]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        home, name = self._call
        return getattr(import_module(home), name)(*args, **kwargs)


PUBLIC_API = "neat_core.api"


def forward(module_name: str, moved: Mapping[str, str] | str, *,
            call: tuple[str, str] | None = None, public: Iterable[str] = ()) -> None:
    """Make module ``module_name`` a forwarder: its attribute ``name`` is that of module
    ``moved[name]`` (or of module ``moved`` for every name, when it is a module path),
    with a DeprecationWarning; the names in ``public`` come from, and the warning sends
    plugin authors to, ``neat_core.api``. ``call``, a (module path, function name) pair,
    makes the module itself callable as that function."""
    module = sys.modules[module_name]
    public = frozenset(public)

    def __getattr__(name: str) -> Any:
        home = PUBLIC_API if name in public else (
            moved if isinstance(moved, str) else moved.get(name))
        if home is None or name.startswith("__"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        warnings.warn(f"{module_name}.{name} moved: import it from {home} ({module_name} "
                      f"is deprecated since NEAT 0.2 and will be removed in 0.4)",
                      DeprecationWarning, stacklevel=2)
        return getattr(import_module(home), name)

    namespace = vars(module)
    namespace["__getattr__"] = __getattr__  # PEP 562: asked for names the module lacks
    if call is not None:
        module.__class__ = _CallableModule
        namespace["_call"] = call

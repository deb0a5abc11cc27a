"""Hook meta-tests: every hook in hookspecs.py has a docstring, is documented in
docs/plugins.md with its exact signature, and has a test named for it
(``test_hook_<hook>``, as datasette's ``test_plugin_hooks_have_tests`` asks)."""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from pathlib import Path

import pytest

from neat_core import hookspecs

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def hook_specs() -> dict[str, object]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {name: func for name, func in vars(hookspecs).items()
            if callable(func) and hasattr(func, marker)}


def signature_text(name: str, func: object) -> str:
    """``name(param: Annotation, ...) -> Return`` as written in the source."""
    signature = inspect.signature(func)
    params = []
    for param in signature.parameters.values():
        text = param.name
        if param.annotation is not inspect.Parameter.empty:
            text += f": {param.annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    return f"{name}({', '.join(params)}) -> {signature.return_annotation}"


DOCUMENTED_HOOK = re.compile(r"^### `((\w+)\(.*\) -> .+)`$", re.M)


def documented_hooks() -> dict[str, str]:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    return {match.group(2): match.group(1) for match in DOCUMENTED_HOOK.finditer(text)}


def test_hookspecs_are_found():
    assert {"register_models", "register_commands"} <= set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_has_a_docstring(name):
    assert (inspect.getdoc(hook_specs()[name]) or "").strip(), name


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_is_documented_with_its_exact_signature(name):
    documented = documented_hooks()
    assert name in documented, f"docs/plugins.md has no '### `{name}(...)`' heading"
    assert documented[name] == signature_text(name, hook_specs()[name])


def test_plugins_page_documents_no_hook_that_does_not_exist():
    assert set(documented_hooks()) <= set(hook_specs())


@functools.cache
def collected_test_functions() -> frozenset[str]:
    """The test functions pytest collects from the test modules of NEAT's test packages
    (tests/ and its packages; tests/data holds other projects' files), found by importing
    them (a name in a comment or a string does not count)."""
    names: set[str] = set()
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        if not (path.parent / "__init__.py").exists():
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        names.update(name for name, value in vars(module).items()
                     if name.startswith("test_") and inspect.isfunction(value))
    return frozenset(names)


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_plugin_hooks_have_tests(name):
    if f"test_hook_{name}" not in collected_test_functions():
        pytest.fail(f"no test named test_hook_{name} under tests/: add one that registers a "
                    f"plugin implementing {name} and checks what a user sees of it (see "
                    f"tests/test_hooks.py)")

"""Throwaway plugin distributions with real entry points, installed into a temp path."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path


def make_distribution(root: Path, dist: str, modules: dict[str, str],
                      entry_points: dict[str, str], version: str = "1.0") -> Path:
    """Write modules plus a ``.dist-info`` with entry points under ``root``.

    Adding ``root`` to ``sys.path`` (or PYTHONPATH) installs the distribution as far as
    ``importlib.metadata`` is concerned: the same discovery path a pip install uses.
    """
    root.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[neat]\n{lines}")
    return root


def install(monkeypatch, root: Path) -> None:
    monkeypatch.syspath_prepend(str(root))
    for name in list(sys.modules):
        if name.startswith("neat_thirdparty"):
            del sys.modules[name]

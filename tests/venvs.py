"""Fresh virtual environments for tests that install a plugin for real.

A venv made here has no pip of its own and sees this environment's packages through a
``.pth`` file, so installing NEAT (editable) and a plugin into it needs no network and no
build isolation; the plugin is then discovered through its entry point, as after a
user's ``pip install``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args: str | Path, cwd: Path | None = None, timeout: float = 300,
        code: int = 0, input: str | None = None) -> str:
    """Output of a command that must exit with ``code``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NEAT_PLUGINS_", "PYTHON"))}
    env["OMP_NUM_THREADS"] = "1"
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout, input=input)
    assert result.returncode == code, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def make_venv(path: Path) -> Path:
    """A venv without pip whose interpreter also sees this environment's packages."""
    run(sys.executable, "-m", "venv", "--without-pip", path)
    python = path / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .strip())
    (site / "_neat_parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def pip(python: Path, *args: str | Path) -> str:
    return run(sys.executable, "-m", "pip", "--python", python, *args)


def venv_with(root: Path, *packages: Path) -> Path:
    """bin/ of a fresh venv under ``root`` with NEAT (editable) and ``packages`` (real
    builds, offline) installed."""
    python = make_venv(root / "venv")
    pip(python, "install", "--quiet", "--no-index", "--no-deps", "--no-build-isolation",
        "-e", REPO, *packages)
    return python.parent

"""A `**` glob over a tree with symbolic-link cycles (issue 23, item 5) ends, with the
names a plain directory walk gives; it used to run for minutes, growing memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ..train_utils import subprocess_env

LISTING = """
import json, sys
from neat_core.data import list_paths
print(json.dumps([str(p) for p in list_paths(sys.argv[1])]))
"""


def cyclic_tree(root):
    for name in ("a/one.txt", "a/b/two.txt", "c/three.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    os.symlink("..", root / "a/b/up")        # a/b/up/b/up/... : one cycle
    os.symlink("../../c", root / "a/b/to-c")  # two ways round: a/b/to-c/...
    os.symlink("../a", root / "c/to-a")
    return root


def listing(spec: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", LISTING, spec], capture_output=True,
                            text=True, env=subprocess_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_glob_over_symlink_cycles_ends_with_shallow_names(tmp_path):
    root = cyclic_tree(tmp_path / "tree")
    found = listing(f"{root}/**/*.txt")
    assert sorted(os.path.relpath(p, root) for p in found) == \
        ["a/b/two.txt", "a/one.txt", "c/three.txt"]


def test_a_glob_and_a_directory_list_the_same_files(tmp_path):
    root = cyclic_tree(tmp_path / "tree")
    assert sorted(listing(f"{root}/**")) == sorted(listing(str(root)))

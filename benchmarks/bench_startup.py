"""Start-up time of `neat --help` and `neat plugins` against the import floor.

The floor is what any Click CLI over NEAT's kernel must import anyway: click, pluggy,
attrs, cattrs and importlib.metadata, in a fresh interpreter. Each command and the floor
run in alternating rounds (so load from other processes hits all alike); the figures
are medians of wall time per process, and the ratio is command / floor.

    python benchmarks/bench_startup.py --rounds 15
    python benchmarks/bench_startup.py --importtime     # what `neat --help` imports

``--importtime`` prints a ``python -X importtime`` table of `neat --help`: the
cumulative import time of each top-level package and of NEAT's own modules (one run;
importtime itself slows imports, so compare its rows with each other, not with the
wall times).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

NEAT = str(Path(sys.executable).with_name("neat"))
FLOOR = [sys.executable, "-c", "import click, pluggy, attrs, cattrs, importlib.metadata"]
COMMANDS = {"floor": FLOOR, "neat --help": [NEAT, "--help"], "neat plugins": [NEAT, "plugins"]}


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure(rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file cache
        wall(command)
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    return {name: statistics.median(values) for name, values in times.items()}


def importtime_table(limit: int) -> list[tuple[str, float]]:
    """(module, cumulative seconds) of `neat --help`: top-level packages and neat_*."""
    code = "import sys; sys.argv = ['neat', '--help']; from neat_core.cli import main; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True)
    rows: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split("|"))
        if not cumulative.isdigit():
            continue
        indent = len(line.split("|")[2]) - len(line.split("|")[2].lstrip())
        top_level = indent <= 1  # imported by __main__ or the CLI itself
        if top_level or name.startswith(("neat_core", "neat_plugins")):
            rows[name] = max(rows.get(name, 0.0), int(cumulative) / 1e6)
    return sorted(rows.items(), key=lambda row: -row[1])[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--importtime", action="store_true",
                        help="also print what `neat --help` imports")
    parser.add_argument("--limit", type=int, default=30, help="rows of the importtime table")
    args = parser.parse_args()
    medians = measure(args.rounds)
    floor = medians["floor"]
    print(f"{'command':<14} {'median s':>9} {'x floor':>8}")
    for name, seconds in medians.items():
        print(f"{name:<14} {seconds:>9.3f} {seconds / floor:>7.2f}x")
    if args.importtime:
        print(f"\n{'module (-X importtime, cumulative)':<44} {'ms':>7}")
        for name, seconds in importtime_table(args.limit):
            print(f"{name:<44} {seconds * 1e3:>7.1f}")


if __name__ == "__main__":
    main()

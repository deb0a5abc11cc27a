"""Time of `neat compare` against evaluating each checkpoint on its own.

Before, comparing N checkpoints did what N separate evaluations do: each selected and
prepared its own backend (on the CPU: timing thread counts again, a slow trial step on
busy cores each time) and compressed the same bytes with gzip, bz2 and xz again. Now
one backend serves every checkpoint and the compressors run once per data set. Both
arms score every checkpoint once, so the model's own time is the same in both.

Each arm runs in a fresh process (its start-up, backend and caches included) on the
same checkpoints and bytes: four small untrained models (two byte-level ones, a BLT
with static patches and one with entropy patches; untrained weights cost as much to
run as trained ones), in alternating rounds so that other load falls on both arms.

    python benchmarks/bench_compare.py                       # 64 KiB, 3 rounds
    python benchmarks/bench_compare.py --kib 512 --rounds 5
    python benchmarks/bench_compare.py --checkpoints runs/a runs/b --data notes/
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ARMS = {
    "each on its own": ("import sys, neat_core\n"
                        "for checkpoint in sys.argv[2:]:\n"
                        "    neat_core.evaluate(checkpoint, data=[sys.argv[1]])\n"),
    "compare": ("import sys, neat_core\n"
                "neat_core.compare(sys.argv[2:], data=[sys.argv[1]])\n"),
}

MAKE = """
import sys, torch
from neat_core.checkpoint import save_checkpoint
from neat_core.config import Override, load_config
from neat_core.registry import get_registry

def save(path, **settings):
    config = load_config(overrides=[Override(k, v) for k, v in settings.items()]).config
    torch.manual_seed(0)
    model = get_registry().models[config.model.name].factory(config.model)
    save_checkpoint(path, model, config)

out = sys.argv[1]
save(f"{out}/byte-small", **{"model.hidden_size": 64})
save(f"{out}/byte", **{"model.hidden_size": 128})
save(f"{out}/blt-static", **{"model.name": "blt", "model.patching": "static"})
save(f"{out}/blt-entropy", **{"model.name": "blt", "model.patching": "global",
                              "model.entropy_checkpoint": f"{out}/byte-small"})
"""


def make_input(path: Path, size: int) -> None:
    """``size`` bytes of this repository's Python source, repeated as needed."""
    text = b"".join(f.read_bytes() for f in sorted((REPO / "neat_core").rglob("*.py")))
    path.write_bytes((text * (size // len(text) + 1))[:size])


def run(code: str, data: str, checkpoints: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one arm."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, data, *checkpoints], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status:
        raise SystemExit(f"arm failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", nargs="+", help="default: four small models")
    parser.add_argument("--data", help="file or directory (default: --kib bytes of source)")
    parser.add_argument("--kib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoints = args.checkpoints
        if not checkpoints:
            subprocess.run([sys.executable, "-c", MAKE, tmp], check=True)
            checkpoints = [f"{tmp}/{name}" for name in
                           ("byte-small", "byte", "blt-static", "blt-entropy")]
        data = args.data
        if data is None:
            data = f"{tmp}/input.txt"
            make_input(Path(data), args.kib * 1024)
        times: dict[str, list[tuple[float, float]]] = {arm: [] for arm in ARMS}
        for round_ in range(args.rounds):
            order = list(ARMS) if round_ % 2 == 0 else list(reversed(ARMS))
            for arm in order:
                times[arm].append(run(ARMS[arm], data, checkpoints))
                print(f"round {round_ + 1}: {arm}: {times[arm][-1][0]:.1f} s wall, "
                      f"{times[arm][-1][1]:.1f} s CPU", flush=True)
    load = os.getloadavg()[0]
    print(f"\n{len(checkpoints)} checkpoints, {args.rounds} rounds (median), load average "
          f"{load:.1f} on {os.cpu_count()} cores")
    print("| arm | wall s | CPU s | wall vs each on its own |\n|---|---|---|---|")
    base = statistics.median(wall for wall, _ in times["each on its own"])
    for arm, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"| {arm} | {wall:.1f} | {cpu:.1f} | {wall / base:.2f} |")


if __name__ == "__main__":
    main()

"""Peak memory of `neat patch` and `neat eval` against the size of their input.

Both stream their input (read, scored, patched and written a chunk at a time), so their
peak resident memory should stay flat as the input grows; before streaming it grew by
about 66 bytes (patch) and 18 bytes (eval) per input byte. Each command runs in its own
process on inputs of growing size (prose-like text made from this repository's source
words), with a tiny model, and the peak RSS of each process is read with wait4. Sizes
are visited in interleaved rounds so that other load on the machine falls on all sizes.

    python benchmarks/bench_stream_memory.py            # 2, 8 and 32 MiB
    python benchmarks/bench_stream_memory.py --sizes 16 32 --commands eval

The last column gives the growth per input byte between the smallest and the largest
input (bytes of RSS per byte of input): near 0 means memory is flat. Every command
reaches its plateau after a few MiB (the allocator keeps the buffers of the first
chunks); `neat eval` compares the model with gzip, bz2 and xz, and xz fills up to
~90 MB of match-finder state until its 8 MiB window is full, so with the compressors
the plateau starts at about 10 MiB of input ("eval (no xz..)" switches them off).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEAT = str(Path(sys.executable).parent / "neat")
MIB = 1 << 20

COMMANDS = {
    # static patches: memory, not the model's patching decisions, is measured
    "patch (jsonl)": ["patch", "{ckpt}", "{input}", "--format", "jsonl", "--mode", "static",
                      "--set", "patching.patch_size=6"],
    "eval": ["eval", "{ckpt}", "--data", "{input}"],
    "eval (no xz..)": ["eval", "{ckpt}", "--data", "{input}",
                       "--set", "evaluators.bits-per-byte.compressors=false"],
}


def make_input(path: Path, size: int, seed: int = 0) -> None:
    words = [w for f in sorted((REPO / "neat_core").rglob("*.py"))
             for w in f.read_bytes().split()]
    rng = random.Random(seed)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            line = b" ".join(rng.choice(words) for _ in range(200)) + b"\n"
            line = line[: size - written]
            out.write(line)
            written += len(line)


def make_checkpoint(path: Path) -> None:
    code = ("import sys, torch; sys.path.insert(0, sys.argv[2]);"
            "from neat_core.checkpoint import save_checkpoint;"
            "from neat_core.config import config_from_dict;"
            "from neat_core.registry import get_registry;"
            "config = config_from_dict({'model': {'hidden_size': 32, 'num_heads': 2,"
            " 'num_layers': 1, 'block_size': 32}});"
            "torch.manual_seed(0);"
            "model = get_registry().models[config.model.name].factory(config.model);"
            "save_checkpoint(sys.argv[1], model, config)")
    subprocess.run([sys.executable, "-c", code, str(path), str(REPO)], check=True)


def peak_rss(args: list[str]) -> int:
    """Peak resident memory in bytes of ``neat ARGS`` (output discarded)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(os.devnull, "wb") as null:
        process = subprocess.Popen([NEAT, "-q", *args, "--set", "backend.cpu.threads=1",
                                    "--set", "eval.batch_size=256"],
                                   stdout=null, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        stderr = process.stderr.read().decode()
        process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"neat {' '.join(args)} failed:\n{stderr}")
    return usage.ru_maxrss * 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 8, 32],
                        help="input sizes in MiB")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per size")
    parser.add_argument("--commands", nargs="+", choices=list(COMMANDS), default=list(COMMANDS),
                        help="what to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_checkpoint(root / "ckpt")
        inputs = {}
        for size in args.sizes:
            inputs[size] = root / f"input-{size}.txt"
            make_input(inputs[size], size * MIB)
        peaks: dict[tuple[str, int], int] = {}
        for round_ in range(args.rounds):
            order = args.sizes if round_ % 2 == 0 else list(reversed(args.sizes))
            for size in order:
                for name in args.commands:
                    command = [a.format(ckpt=root / "ckpt", input=inputs[size])
                               for a in COMMANDS[name]]
                    peak = peak_rss(command)
                    peaks[name, size] = max(peaks.get((name, size), 0), peak)
                    print(f"  round {round_ + 1}: {name:<14} {size:>4} MiB  "
                          f"{peak / MIB:8.1f} MiB peak RSS", file=sys.stderr)
    smallest, largest = min(args.sizes), max(args.sizes)
    print(f"{'command':<14}" + "".join(f"{f'{s} MiB in':>12}" for s in args.sizes)
          + f"{'growth (B/B)':>14}")
    for name in args.commands:
        row = [peaks[name, size] for size in args.sizes]
        growth = (peaks[name, largest] - peaks[name, smallest]) / ((largest - smallest) * MIB)
        print(f"{name:<14}" + "".join(f"{p / MIB:>8.1f} MiB" for p in row)
              + f"{growth:>14.3f}")


if __name__ == "__main__":
    main()

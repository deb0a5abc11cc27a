#!/usr/bin/env bash
# The GPU check: on a machine with a CUDA GPU, in about 10 minutes,
#   1. NEAT's trainer against a plain PyTorch loop on the GPU (bench_train.py, rounds
#      alternating in one process), with configs/cuda.json's model, as configured and
#      with torch.compile forced on;
#   2. entropy scoring against the raw forward pass (bench_entropy.py, default model);
#   3. a short end-to-end `neat train` + `neat eval` of configs/cuda.json's model;
# then one table. Without a usable CUDA GPU it stops at once with exit code 2.
#
#   benchmarks/gpu.sh [OUTPUT_DIR]
#
# Environment (defaults in brackets): PYTHON [.venv/bin/python], BACKEND [cuda],
# CONFIG [configs/cuda.json], STEPS [50] timed steps per training round, E2E_STEPS [500],
# MEGABYTES [2] of text scored. BACKEND=cpu with a tiny CONFIG runs the same script on
# a CPU (the tests do, to check the script itself).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
NEAT="$(dirname "$PY")/neat"
BACKEND=${BACKEND:-cuda}
CONFIG=${CONFIG:-configs/cuda.json}
STEPS=${STEPS:-50}
E2E_STEPS=${E2E_STEPS:-500}
MEGABYTES=${MEGABYTES:-2}
OUT=${1:-runs/gpu-check}

if [ "$BACKEND" = cuda ] && ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "benchmarks/gpu.sh: no CUDA GPU is usable here ($("$PY" -c 'import torch; print("torch", torch.__version__, "built for CUDA", torch.version.cuda)')); run it on a machine with an NVIDIA GPU and a CUDA build of torch" >&2
    exit 2
fi
rm -rf "$OUT" && mkdir -p "$OUT"
"$PY" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU", "| torch", torch.__version__, "| CUDA", torch.version.cuda)' | tee "$OUT/gpu.txt"

echo "== 1. training: NEAT vs the plain loop ($CONFIG model)"
"$PY" benchmarks/bench_train.py --backend "$BACKEND" -c "$CONFIG" --steps "$STEPS" \
    --warmup 10 --rounds 3 --json "$OUT/train.json"
"$PY" benchmarks/bench_train.py --backend "$BACKEND" -c "$CONFIG" --steps "$STEPS" \
    --warmup 20 --rounds 3 --set training.compile=true --json "$OUT/train-compiled.json"

echo "== 2. scoring: entropies + patching vs the raw forward"
"$PY" benchmarks/bench_entropy.py --megabytes "$MEGABYTES" --rounds 3 \
    --set "backend.name=$BACKEND" --json "$OUT/scoring.json"

echo "== 3. end to end: neat train + neat eval"
start=$(date +%s)
"$NEAT" -q train -c "$CONFIG" --backend "$BACKEND" --max-steps "$E2E_STEPS" \
    --output-dir "$OUT/run" --set "training.eval_steps=$E2E_STEPS" \
    --set "training.save_steps=$E2E_STEPS" --set run.progress=false
echo "$(( $(date +%s) - start ))" > "$OUT/train_seconds.txt"
"$NEAT" -q eval "$OUT/run" --report json --out "$OUT/eval"

"$PY" - "$OUT" <<'EOF'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
train = json.loads((out / "train.json").read_text())
compiled = json.loads((out / "train-compiled.json").read_text())
scoring = json.loads((out / "scoring.json").read_text())["methods"]
(evaluation,) = [json.loads(p.read_text()) for p in (out / "eval").glob("*.json")]
bpb = evaluation["results"]["bits-per-byte"]
rows = [
    ("device", (out / "gpu.txt").read_text().strip()),
    ("train: NEAT bytes/s", f"{train['train_bytes_per_second']:,.0f}"),
    ("train: plain loop bytes/s", f"{train['plain_bytes_per_second']:,.0f}"),
    ("train: NEAT / plain", f"{train['neat_vs_plain']:.2f}x (rounds "
     + ", ".join(f"{r:.2f}" for r in train["neat_vs_plain_rounds"]) + ")"),
    ("train, compiled: NEAT / plain", f"{compiled['neat_vs_plain']:.2f}x "
     f"({compiled['train_bytes_per_second']:,.0f} bytes/s)"),
]
for name, figures in scoring.items():
    rows.append((f"scoring: {name}", f"{figures['bytes_per_second']:,.0f} bytes/s, "
                 f"{figures['vs_raw']:.2f}x raw"))
rows += [
    ("end to end: training took", f"{(out / 'train_seconds.txt').read_text().strip()} s"),
    ("end to end: held-out bits per byte", f"{bpb['overall']['bits_per_byte']:.3f} "
     f"(bz2 {bpb['compressors']['bz2']:.3f})"),
]
width = max(len(name) for name, _ in rows)
print("\n" + "\n".join(f"{name:<{width}}  {value}" for name, value in rows))
EOF

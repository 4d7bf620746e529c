#!/usr/bin/env bash
# GPU figures in one command: the CUDA-path tests, then every benchmark with
# --device cuda at small settings. Each step has its own time limit, cut to
# what is left of BUDGET (300 s; the steps' estimates add up to about 7
# minutes, so on a slow day the last ones are skipped: BUDGET=480 for all),
# so a slow or hung step cannot make the run
# overrun. Everything goes to a log file as well as the terminal.
#
#     bash benchmarks/run_gpu.sh [LOG]          # default LOG: benchmarks/gpu-<date>.log
#     PYTHON=python3 DEVICE=cuda:1 BUDGET=600 bash benchmarks/run_gpu.sh
#
# Without a GPU it says so and only checks that every benchmark accepts its
# arguments (each must stop at once with its "sees no CUDA GPU" message, not
# with an argparse error or a torch traceback); it exits 1.
#
# Steps, the issue-21 figures first (rough times on one H100/H200-class GPU;
# CPU parts on the host's cores). If the budget runs out, the last steps are
# skipped and the summary says which:
#   tests -k "cuda or gpu"                                    ~30 s
#   bench_training --parts throughput (fit vs on-device loop) ~60 s
#   bench_protocol  (the paper's protocol, fp32 and bf16+CL)  ~90 s
#   bench_fit_costs (fit's own costs per 1,000 images)        ~20 s
#   bench_features  (GPU transform, bandwidth share, output='torch') ~30 s
#   bench_inference (one clip, latency, bf16/fp16/channels-last)     ~40 s
#   bench_training  (fit overhead, precisions)                ~60 s
#   bench_backbones (7 backbones, inference + training step)  ~30 s
#   bench_frozen    (protocol only, 10 epochs)                ~30 s
#   bench_float16, bench_memory, bench_corpus (smoke sizes)   ~40 s
#   bench_encoders  (SpeechEncoder vs the per-clip loop, base size) ~60 s
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
DEVICE=${DEVICE:-cuda}
LOG=${1:-benchmarks/gpu-$(date +%Y%m%d-%H%M%S).log}
BUDGET=${BUDGET:-300} # seconds for the whole run; each step gets what is left

# name|time limit in seconds|script and arguments (--device is added)
STEPS=(
  "throughput|90|benchmarks/bench_training.py --parts throughput --repeats 1"
  "protocol|100|benchmarks/bench_protocol.py --settings float32 bfloat16+channels_last"
  "fit-costs|40|benchmarks/bench_fit_costs.py --repeats 3"
  "features|60|benchmarks/bench_features.py --n 100 --repeats 3 --reference-threads single --skip-scaling"
  "inference|60|benchmarks/bench_inference.py --calls 30 --n-agree 200 --no-compile"
  "training|90|benchmarks/bench_training.py --repeats 3 --paper-epochs 2 --parts small paper settings --no-compile"
  "backbones|60|benchmarks/bench_backbones.py --repeats 5 --budget 5"
  "frozen|60|benchmarks/bench_frozen.py --epochs 10 --skip-finetune-grid"
  "float16|40|benchmarks/bench_float16.py --size 64 --epochs 8"
  "memory|40|benchmarks/bench_memory.py --n 300"
  "corpus|60|benchmarks/bench_corpus.py --counts 50 100 --size 64"
  "encoders|90|benchmarks/bench_encoders.py --parts speed --n 48 --repeats 2"
)

if ! "$PYTHON" -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
  echo "No CUDA GPU visible to torch: checking the benchmarks' arguments only."
  status=0
  for step in "${STEPS[@]}"; do
    IFS='|' read -r name _ command <<<"$step"
    # shellcheck disable=SC2086  # the command is split into its words on purpose
    message=$("$PYTHON" $command --device "$DEVICE" 2>&1 | tail -n 1)
    if [[ $message == *"sees no CUDA GPU"* ]]; then
      echo "  ok       $name"
    else
      echo "  PROBLEM  $name: $message"
      status=2
    fi
  done
  exit $((status ? status : 1))
fi

exec > >(tee "$LOG") 2>&1
echo "run_gpu.sh, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
start=$SECONDS
failed=()

echo
echo "=== tests: CUDA paths (pytest -k 'cuda or gpu')"
# Test modules whose optional dependencies are missing skip themselves
# (pytest.importorskip); a module that still fails to import is reported
# without stopping the others.
if ! timeout 120 "$PYTHON" -m pytest -q -rs -p no:cacheprovider \
  --continue-on-collection-errors -k "cuda or gpu" tests; then
  failed+=("tests")
fi

for step in "${STEPS[@]}"; do
  IFS='|' read -r name limit command <<<"$step"
  left=$((BUDGET - (SECONDS - start)))
  if ((left < 15)); then
    echo
    echo "=== $name: skipped, the ${BUDGET} s budget is spent"
    failed+=("$name (skipped)")
    continue
  fi
  ((limit > left)) && limit=$left
  echo
  echo "=== $name: $command --device $DEVICE   (limit ${limit} s; $((SECONDS - start)) s so far)"
  step_start=$SECONDS
  # shellcheck disable=SC2086
  timeout "$limit" "$PYTHON" $command --device "$DEVICE"
  rc=$?
  if ((rc != 0)); then
    ((rc == 124)) && echo "--- $name: stopped at its ${limit} s limit"
    failed+=("$name (exit $rc)")
  fi
  echo "--- $name: $((SECONDS - step_start)) s"
done

echo
echo "=== done in $((SECONDS - start)) s; log: $LOG"
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}"
  exit 1
fi

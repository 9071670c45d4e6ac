#!/bin/bash
# Stands in for Megatron-LM's pretrain_gpt.py in the loopback tests: reads --train-iters and
# --save, prints Megatron-style iteration lines, writes a checkpoint marker.
#   --train-iters 13      fails (exit 1) after 3 iterations, with a Python traceback
#   --train-iters 999999  runs until Slurm stops it (cancel, time limit)
iters=10; save=.
while [ $# -gt 0 ]; do
  case "$1" in
    --train-iters) iters="$2"; shift ;;
    --save) save="$2"; shift ;;
  esac
  shift
done
echo "using world size: 8, data-parallel size: 2, tensor-model-parallel size: 2, pipeline-model-parallel size: 2"
echo "NCCL WARN fake: NET/IB : No device found."
for ((i = 1; i <= iters; i++)); do
  loss=$(awk -v i="$i" 'BEGIN { printf "%.6E", 2.5 + 8.0 / (i + 1) }')
  lr=$(awk -v i="$i" -v n="$iters" 'BEGIN { printf "%.6E", 1e-4 * (i < 0.03 * n + 1 ? i / (0.03 * n + 1) : 1) }')
  printf ' [2024-06-01 12:00:%02d] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): %.1f | throughput per GPU (TFLOP/s/GPU): %.1f | learning rate: %s | global batch size:  1024 | lm loss: %s | loss scale: 1.0 | grad norm: %.3f | number of skipped iterations:   0 | number of nan iterations:   0 |\n' \
    $((i % 60)) "$i" "$iters" $((i * 1024)) 1234.5 180.5 "$lr" "$loss" 0.5
  if [ "$iters" = 13 ] && [ "$i" = 3 ]; then
    echo "Traceback (most recent call last):" >&2
    echo "RuntimeError: CUDA error: an illegal memory access was encountered" >&2
    exit 1
  fi
  sleep 0.05
done
mkdir -p "$save" && echo "$iters" > "$save/latest_checkpointed_iteration.txt"
echo "[after training is done] datetime: 2024-06-01 12:10:00"

#!/bin/bash
# Stands in for NeMo's megatron_gpt_finetuning.py: reads exp_manager.explicit_log_dir, writes a model.
out=.
for a in "$@"; do case "$a" in exp_manager.explicit_log_dir=*) out="${a#*=}" ;; esac; done
echo "[NeMo I] fine-tuning with: $*"
for e in 1 2; do echo "[NeMo I] Epoch $e: reduced_train_loss=$(awk -v e="$e" 'BEGIN { print 1.5 / e }')"; sleep 0.05; done
mkdir -p "$out/checkpoints" && echo fake > "$out/checkpoints/megatron_gpt_sft.nemo"

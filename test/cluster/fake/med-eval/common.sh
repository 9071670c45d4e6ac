#!/bin/bash
# Stands in for nii-nlp/med-eval's evaluate_*.py: writes a JMedBench-style result CSV whose scores
# are a fixed function of (model label, task, shots), so tests know every number in advance:
#   score = (cksum of "label|task|shots") mod 1000 / 1000
metric_header="$1"; shift
task=""; shots=0; csv=""; template=""
while [ $# -gt 0 ]; do
  case "$1" in
    --task) task="$2"; shift ;;
    --num_fewshot) shots="$2"; shift ;;
    --result_csv) csv="$2"; shift ;;
    --template_name) template="$2"; shift ;;
  esac
  shift
done
label="$(basename "$(dirname "$(dirname "$csv")")")"
mkdir -p "$(dirname "$csv")"
echo "Task,Template,$metric_header" > "$csv.tmp"
IFS=, read -ra tasks <<< "$task"
for t in "${tasks[@]}"; do
  sum=$(printf '%s' "$label|$t|$shots" | cksum | cut -d' ' -f1)
  # BLEU is reported on 0–100, the other metrics on 0–1 (as med-eval does).
  if [ "$metric_header" = Bleu ]; then score=$(awk -v s="$sum" 'BEGIN { printf "%.1f", (s % 1000) / 10 }')
  else score=$(awk -v s="$sum" 'BEGIN { printf "%.3f", (s % 1000) / 1000 }'); fi
  row="$t,$template,$score"
  case "$metric_header" in *,*) row="$row,$score" ;; esac
  echo "$row" >> "$csv.tmp"
  echo "evaluated $t ($label, $shots-shot): $score"
done
mv "$csv.tmp" "$csv"

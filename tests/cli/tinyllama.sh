#!/usr/bin/env bash
# tinyllama.sh BIN_DIR VOCAB.gguf WORK_DIR
# A random-weight GGUF with TinyLlama-1.1B's shapes (Q8_0, 1.1 GB), written by our own writer,
# must pass inspect and run a forward step; the peak resident memory is reported.
set -euo pipefail
bin=$1 vocab=$2 work=$3
if [ ! -f "$vocab" ]; then
  [ -n "${INGOT_REQUIRE_ASSETS:-}" ] && { echo "FAIL: $vocab not found, and INGOT_REQUIRE_ASSETS is set"; exit 1; }
  echo "skipped: $vocab not found"
  exit 77
fi
mkdir -p "$work"
model=$work/tinyllama-random.gguf
trap 'rm -f "$model" "$work/prompt.txt" "$work/run.log"' EXIT
"$bin/make-random-model" --shape tinyllama --type q8_0 --vocab "$vocab" "$model"
summary=$("$bin/inspect" --no-metadata "$model" | grep -E "^architecture|^  context|^tokenizer|^kernels|^tensors|^verdict")
echo "$summary"
grep -q "architecture: llama, d_model 2048, 22 layers, 32 heads (4 KV heads, head_dim 64), FFN 5632 (SwiGLU), vocab 32000" <<<"$summary"
# 1 embedding + 22 layers x 9 + output norm + output: the llama tensor table reads them all.
grep -q "^tensors: all 201 read by the llama architecture" <<<"$summary"
echo "The quick brown fox" >"$work/prompt.txt"
"$bin/run-model" -m "$model" -n 1 -c 256 --seed 1 "$work/prompt.txt" </dev/null 2>"$work/run.log" >/dev/null
cat "$work/run.log"
grep -Eq "generation 1 tokens .* peak RSS [0-9.]+ MiB" "$work/run.log"

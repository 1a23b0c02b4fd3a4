#!/usr/bin/env bash
# gpt2_small.sh BIN_DIR VOCAB.gguf WORK_DIR
# A random-weight GGUF with GPT-2 small's shapes (gpt2 architecture, Q8_0, vocab from
# ggml-vocab-gpt-2.gguf), written by our own writer, must pass inspect and generate in both modes;
# quantize turns it into an ingot file that passes inspect --verify and generates too.
set -euo pipefail
bin=$1 vocab=$2 work=$3
if [ ! -f "$vocab" ]; then
  [ -n "${INGOT_REQUIRE_ASSETS:-}" ] && { echo "FAIL: $vocab not found, and INGOT_REQUIRE_ASSETS is set"; exit 1; }
  echo "skipped: $vocab not found"
  exit 77
fi
mkdir -p "$work"
model=$work/gpt2-small-random.gguf
quantized=$work/gpt2-small-random.ingot.gguf
trap 'rm -f "$model" "$quantized" "$work/prompt.txt" "$work/run.log"' EXIT
"$bin/make-random-model" --shape gpt2-small --type q8_0 --vocab "$vocab" "$model"
summary=$("$bin/inspect" --no-metadata "$model" | grep -E "^architecture|^  context|^tokenizer|^verdict")
echo "$summary"
grep -q "architecture: gpt2, d_model 768, 12 layers, 12 heads (12 KV heads, head_dim 64), FFN 3072 (GELU), vocab 50257" <<<"$summary"
grep -q "^verdict: OK" <<<"$summary"
echo "The quick brown fox" >"$work/prompt.txt"
for mode in fp32 int8; do
  "$bin/run-model" -m "$model" --mode "$mode" -n 4 -c 128 --seed 1 "$work/prompt.txt" </dev/null 2>"$work/run.log" >/dev/null
  echo "$mode: $(tail -n 1 "$work/run.log")"
  grep -Eq "prompt 5 tokens .* generation 4 tokens" "$work/run.log"
done
"$bin/quantize" "$model" "$quantized" 2>/dev/null
"$bin/inspect" --verify --no-metadata "$quantized" | grep -q "^verdict: OK"
"$bin/run-model" -m "$quantized" -n 4 -c 128 --seed 1 "$work/prompt.txt" </dev/null 2>"$work/run.log" >/dev/null
echo "ingot file: $(tail -n 1 "$work/run.log")"
grep -Eq "prompt 5 tokens .* generation 4 tokens" "$work/run.log"

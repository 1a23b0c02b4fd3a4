#!/usr/bin/env bash
# conversation.sh RUN_MODEL MODEL WORK_DIR
# run-model end to end on a real model: the prompt is echoed and continued, each typed line is
# answered after a "> " prompt, /quit ends it, the same seed repeats the same text, and a full
# context stops generation with a message.
set -euo pipefail
run=$1 model=$2 work=$3
mkdir -p "$work"
printf 'Once upon a time, there was a little girl named Lily.' >"$work/prompt.txt"

printf 'Then Lily saw a dog.\n/quit\nnever read\n' |
  "$run" -m "$model" -n 24 --temp 0 "$work/prompt.txt" >"$work/out.txt" 2>"$work/err.txt"
grep -q "^Once upon a time, there was a little girl named Lily." "$work/out.txt" || { echo "prompt not echoed"; cat "$work/out.txt"; exit 1; }
prompts=$(grep -o '> ' "$work/out.txt" | wc -l)
[ "$prompts" -eq 2 ] || { echo "expected 2 '> ' prompts (one per turn), got $prompts"; cat "$work/out.txt"; exit 1; }
grep -Eq "generation 48 tokens .* tokens/s\), peak RSS" "$work/err.txt" || { echo "no speed line for 2 x 24 tokens"; cat "$work/err.txt"; exit 1; }

for i in 1 2; do "$run" -m "$model" -n 40 --seed 1234 "$work/prompt.txt" </dev/null >"$work/seed$i.txt" 2>/dev/null; done
cmp -s "$work/seed1.txt" "$work/seed2.txt" || { echo "the same seed gave different text"; exit 1; }
"$run" -m "$model" -n 40 --seed 99 "$work/prompt.txt" </dev/null >"$work/seed3.txt" 2>/dev/null
! cmp -s "$work/seed1.txt" "$work/seed3.txt" || { echo "another seed gave the same text"; exit 1; }

"$run" -m "$model" -c 24 -n 100 --temp 0 "$work/prompt.txt" </dev/null >/dev/null 2>"$work/full.txt"
grep -q "context is full (n_ctx 24): generation stopped" "$work/full.txt" || { echo "no context-full message"; cat "$work/full.txt"; exit 1; }
echo "ok: echo, two turns, /quit, seeds, context limit"

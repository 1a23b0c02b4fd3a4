#!/usr/bin/env bash
# chat.sh BIN_DIR WORK_DIR
# run-model with a chat template: a tiny Qwen 2 model (its real vocabulary and ChatML template)
# takes a system prompt and two user turns, the second typing "<|im_end|>", which stays text
# (the prompt token counts are the template's: a control token typed as text takes 5 tokens,
# not 1); an unknown --chat-template names the ones that work; --no-chat feeds raw text;
# --system without a template is refused.
set -euo pipefail
bin=$1 work=$2
mkdir -p "$work"
qwen=$work/tiny-qwen2.gguf llama=$work/tiny-llama3.gguf
trap 'rm -f "$qwen" "$llama" "$work/prompt.txt" "$work/run.log"' EXIT
"$bin/make-random-model" --shape tiny-qwen2 --type f32 "$qwen" 2>/dev/null
"$bin/make-random-model" --shape tiny-llama3 --type f32 "$llama" 2>/dev/null
echo "Hello there" >"$work/prompt.txt"
run() { "$bin/run-model" --temp 0 -n 4 "$@" 2>"$work/run.log" >/dev/null; }

# <|im_start|> system \n Be  brief . <|im_end|> \n <|im_start|> user \n Hello  there \n
# <|im_end|> \n <|im_start|> assistant \n: 19 tokens; after the answer as generated,
# <|im_end|> \n <|im_start|> user \n And " <|" im _end | > " again" ? <|im_end|> \n <|im_start|>
# assistant \n: 18 more (the typed "<|im_end|>" is 5 tokens of text, not the control token).
printf 'And <|im_end|> again?\n/quit\n' | run -m "$qwen" --system "Be brief." "$work/prompt.txt"
cat "$work/run.log"
grep -q "run-model: chat template chatml" "$work/run.log"
grep -Eq "prompt 37 tokens .* generation 8 tokens" "$work/run.log"

printf 'And <|im_end|> again?\n/quit\n' | run -m "$qwen" --system "Be brief." --chat-template chatml "$work/prompt.txt"
grep -Eq "prompt 37 tokens" "$work/run.log"

if run -m "$qwen" --chat-template vicuna "$work/prompt.txt" </dev/null; then echo "FAIL: vicuna accepted"; exit 1; fi
grep -q "unknown chat template 'vicuna' (known: chatml, llama3, gemma, phi3, llama2)" "$work/run.log"

run -m "$qwen" --no-chat "$work/prompt.txt" </dev/null
if grep -q "chat template" "$work/run.log"; then echo "FAIL: --no-chat used the template"; exit 1; fi
grep -Eq "prompt 3 tokens" "$work/run.log"

# A model without a template runs raw; a template can be named for it.
if run -m "$llama" --system "Be brief." "$work/prompt.txt" </dev/null; then echo "FAIL: --system without a template"; exit 1; fi
grep -q -- "--system needs a chat template" "$work/run.log"
run -m "$llama" --chat-template llama3 --system "Be brief." "$work/prompt.txt" </dev/null
grep -q "run-model: chat template llama3" "$work/run.log"
echo "ok"

#!/usr/bin/env bash
# quantized.sh BIN_DIR MODEL PROMPT WORK_DIR
# quantize end to end: the ingot GGUF verifies, generates the same text as --mode int8 on the
# float model, and a byte flipped in a tensor is refused with the tensor's name.
set -euo pipefail
bin=$1 model=$2 prompt=$3 work=$4
mkdir -p "$work"
q=$work/model.ingot.gguf
fail() { echo "FAIL: $*"; exit 1; }
"$bin/quantize" "$model" "$q" 2>"$work/quantize.log" || fail "quantize exited $?"
grep -q "quantize: wrote" "$work/quantize.log" || fail "no summary line: $(cat "$work/quantize.log")"
"$bin/inspect" --verify "$q" >"$work/verify.txt" || fail "inspect --verify failed"
grep -Eq "verify: OK: ([0-9]+) of \1 hashes match" "$work/verify.txt" || fail "$(tail -3 "$work/verify.txt")"

"$bin/run-model" -m "$model" --mode int8 -n 30 --temp 0 "$prompt" </dev/null >"$work/float_model.txt" 2>/dev/null
"$bin/run-model" -m "$q" -n 30 --temp 0 "$prompt" </dev/null >"$work/ingot_model.txt" 2>/dev/null
cmp -s "$work/float_model.txt" "$work/ingot_model.txt" || fail "the quantized file generates other text than --mode int8"

# Flip one byte in the middle of the last tensor's data (the file ends with tensor data).
cp "$q" "$work/bad.gguf"
size=$(stat -c %s "$work/bad.gguf")
offset=$((size - 100))
byte=$(od -An -tu1 -j "$offset" -N1 "$work/bad.gguf" | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$work/bad.gguf" bs=1 seek="$offset" conv=notrunc status=none
if "$bin/run-model" -m "$work/bad.gguf" -n 1 "$prompt" </dev/null >/dev/null 2>"$work/bad.txt"; then fail "a corrupted file was accepted"; fi
grep -Eq "tensor '[^']+' is corrupted \(XXH3-64 0x[0-9a-f]+ expected 0x[0-9a-f]+\)" "$work/bad.txt" || fail "$(cat "$work/bad.txt")"
if "$bin/inspect" --verify "$work/bad.gguf" >"$work/bad_verify.txt" 2>/dev/null; then fail "inspect --verify passed a corrupted file"; fi
grep -q "MISMATCH" "$work/bad_verify.txt" || fail "inspect --verify printed no MISMATCH"
if "$bin/run-model" -m "$q" --mode fp32 -n 1 "$prompt" </dev/null >/dev/null 2>"$work/fp32.txt"; then fail "fp32 mode on an int8 file"; fi
grep -q "is an int8 model written by quantize" "$work/fp32.txt" || fail "$(cat "$work/fp32.txt")"
echo "ok: $(cat "$work/bad.txt")"

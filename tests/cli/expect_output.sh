#!/usr/bin/env bash
# expect_output.sh REGEX CMD [ARGS...]
# Passes when CMD exits 0 and its standard output matches the extended regex REGEX (which may
# span lines: the output is matched as one string).
set -u
regex=$1
shift
out=$("$@" 2>/dev/null </dev/null)
status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: exit status $status: $*"; echo "$out"; exit 1
fi
if ! printf '%s' "$out" | tr '\n' '\a' | grep -Eq -- "$(printf '%s' "$regex" | sed 's/\\n/\a/g')"; then
  echo "FAIL: the output does not match /$regex/: $*"; echo "$out"; exit 1
fi
echo "ok: $out"

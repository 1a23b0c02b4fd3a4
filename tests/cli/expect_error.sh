#!/usr/bin/env bash
# expect_error.sh REGEX CMD [ARGS...]
# Passes when CMD fails cleanly: exit status 1 or 2 (not a crash: no signal, no sanitizer
# report), and stderr is exactly one line that matches the extended regex REGEX.
set -u
regex=$1
shift
stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT
"$@" >/dev/null 2>"$stderr_file" </dev/null
status=$?
lines=$(wc -l <"$stderr_file")
if [ "$status" -ne 1 ] && [ "$status" -ne 2 ]; then
  echo "FAIL: expected exit status 1 or 2, got $status: $*"; cat "$stderr_file"; exit 1
fi
if [ "$lines" -ne 1 ]; then
  echo "FAIL: expected a one-line error, got $lines lines: $*"; cat "$stderr_file"; exit 1
fi
if ! grep -Eq -- "$regex" "$stderr_file"; then
  echo "FAIL: the error does not match /$regex/: $*"; cat "$stderr_file"; exit 1
fi
echo "ok: $(cat "$stderr_file")"

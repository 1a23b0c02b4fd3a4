#!/usr/bin/env bash
# unreadable.sh EXPECT_ERROR RUN_MODEL: a prompt file without read permission.
set -u
if [ "$(id -u)" -eq 0 ]; then
  echo "skipped: running as root, which reads files whatever their permissions"
  exit 77
fi
file=$(mktemp)
trap 'chmod 600 "$file"; rm -f "$file"' EXIT
echo "Once upon a time" >"$file"
chmod 000 "$file"
exec "$1" "cannot read prompt file: Permission denied" "$2" "$file"

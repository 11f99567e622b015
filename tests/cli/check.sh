#!/usr/bin/env bash
# Runs one tokenfab command and compares its exit status, stdout and stderr with expectations.
#
#   check.sh NAME EXPECTED_STATUS GOLDEN_DIR -- tokenfab ARGS...
#
# stdout is compared with GOLDEN_DIR/NAME.out and stderr with GOLDEN_DIR/NAME.err when those
# files exist (an empty file asserts empty output; no file, no comparison). Paths are compared relative to the source tree: the test runs from it. To
# regenerate the golden files after an intended change, run with TF_UPDATE_GOLDEN=1 and review
# the diff before committing; it rewrites only golden files that exist (create an empty one for
# a new test).
set -u
name=$1 want=$2 golden=$3
shift 4
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
status=0
if [ "$got" != "$want" ]; then
  echo "$name: exit status $got, expected $want" >&2
  echo "--- stderr:" >&2; cat "$err" >&2
  status=1
fi
for stream in out err; do
  file="$golden/$name.$stream"
  actual=$out
  [ "$stream" = err ] && actual=$err
  if [ "${TF_UPDATE_GOLDEN:-0}" = 1 ]; then
    if [ -f "$file" ]; then cp "$actual" "$file"; fi
  elif [ -f "$file" ]; then
    if ! diff -u "$file" "$actual" >&2; then
      echo "$name: std$stream differs from $file" >&2
      status=1
    fi
  fi
done
exit $status

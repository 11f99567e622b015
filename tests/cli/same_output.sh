#!/usr/bin/env bash
# same_output.sh "COMMAND A" "COMMAND B": both succeed and print the same stdout, except lines
# that name the step mode ("decode runs coalesced" / "every iteration an event") and the count of
# step events, which differ by design.
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
filter() { grep -v -e 'decode runs coalesced' -e 'every iteration an event' -e 'step events'; }
bash -c "$1" 2>/dev/null | filter >"$dir/a" || { echo "failed: $1" >&2; exit 1; }
bash -c "$2" 2>/dev/null | filter >"$dir/b" || { echo "failed: $2" >&2; exit 1; }
[ -s "$dir/a" ] || { echo "no output: $1" >&2; exit 1; }
if ! diff -u "$dir/a" "$dir/b" >&2; then
  echo "the two commands printed different results" >&2
  exit 1
fi
echo "same output ($(wc -l <"$dir/a") lines)"

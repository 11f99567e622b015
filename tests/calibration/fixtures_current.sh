#!/usr/bin/env bash
# fixtures_current.sh GENERATOR FIXTURES: the generated fixture folders under FIXTURES are exactly
# what GENERATOR writes today (the hand-written ones under FIXTURES/bad are not generated).
# To regenerate after an intended change: GENERATOR FIXTURES, then review the diff.
set -u
gen=$1 fixtures=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$gen" "$dir" || { echo "the generator failed" >&2; exit 1; }
status=0
for d in "$dir"/*/; do
  name=$(basename "$d")
  if ! diff -r "$d" "$fixtures/$name" >&2; then
    echo "fixtures/$name differs from what $gen writes" >&2
    status=1
  fi
done
exit $status

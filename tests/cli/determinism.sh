#!/usr/bin/env bash
# determinism.sh TOKENFAB SCENARIO: two runs with the same seed must print byte-identical stdout;
# a run with another seed must differ (else the seed would not reach the simulation).
set -u
tokenfab=$1 scenario=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tokenfab" run "$scenario" --no-db >"$dir/a" 2>/dev/null || { echo "first run failed" >&2; exit 1; }
"$tokenfab" run "$scenario" --no-db >"$dir/b" 2>/dev/null || { echo "second run failed" >&2; exit 1; }
"$tokenfab" run "$scenario" --no-db --set seed=12345 >"$dir/c" 2>/dev/null ||
  { echo "third run failed" >&2; exit 1; }
if ! cmp -s "$dir/a" "$dir/b"; then
  echo "two runs of $scenario with the same seed printed different results:" >&2
  diff "$dir/a" "$dir/b" >&2
  exit 1
fi
if cmp -s "$dir/a" "$dir/c"; then
  echo "runs of $scenario with seeds 42 and 12345 printed the same results" >&2
  exit 1
fi
[ -s "$dir/a" ] || { echo "the run printed nothing" >&2; exit 1; }
echo "determinism: $(wc -c <"$dir/a") bytes identical across two runs; another seed differs"

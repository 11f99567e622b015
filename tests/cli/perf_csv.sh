#!/usr/bin/env bash
# perf_csv.sh TOKENFAB GOLDEN_DIR SCENARIO: `tokenfab perf --csv DIR` writes perf_steps.csv and
# perf_memory.csv equal to GOLDEN_DIR/perf_csv.{steps,memory}.csv, leaves no temporary file
# behind, and replaces files already there (TF_UPDATE_GOLDEN=1 rewrites the golden files).
set -u
tokenfab=$1 golden=$2 scenario=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo stale >"$dir/perf_steps.csv"
"$tokenfab" perf "$scenario" --csv "$dir" >/dev/null || { echo "perf --csv failed" >&2; exit 1; }
status=0
for f in steps memory; do
  if [ "${TF_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$dir/perf_$f.csv" "$golden/perf_csv.$f.csv"
  elif ! diff -u "$golden/perf_csv.$f.csv" "$dir/perf_$f.csv" >&2; then
    echo "perf_$f.csv differs from $golden/perf_csv.$f.csv" >&2
    status=1
  fi
done
leftover=$(find "$dir" -name '*.tmp')
[ -z "$leftover" ] || { echo "temporary files left: $leftover" >&2; status=1; }
exit $status

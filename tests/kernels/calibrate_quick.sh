#!/bin/sh
# GPU test (label `gpu`): a quick calibration into a temporary folder, within its 2 minutes,
# whose files keep the contract of docs/CALIBRATION.md (calib_check) and hold every kernel.
set -u
bin=$1
check=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
if ! "$bin" --quick --out "$dir/calib"; then
  echo "FAIL: tokenfab-calibrate --quick" >&2
  exit 1
fi
elapsed=$(($(date +%s) - start))
echo "quick calibration: $elapsed s"
fail=0
[ "$elapsed" -le 120 ] || { echo "FAIL: took $elapsed s, over 2 minutes" >&2; fail=1; }
"$check" "$dir/calib" || fail=1
for k in gemm grouped_gemm attn_decode hbm_stream; do
  grep -q "^\"$k\"," "$dir/calib/measurements.csv" || { echo "FAIL: no $k rows" >&2; fail=1; }
done
grep -q '^"attn_decode",.*"mla"' "$dir/calib/measurements.csv" ||
  { echo "FAIL: no MLA rows" >&2; fail=1; }
ls -a "$dir/calib" | grep -q '^\.[a-z]' && { echo "FAIL: temporary files left" >&2; fail=1; }
exit $fail

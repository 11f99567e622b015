#!/bin/sh
# tokenfab-calibrate without a GPU: --help, the sweeps' plans and their estimated durations
# against the budgets (quick under 2 minutes, full under 10), and bad usage (exit 2).
set -u
bin=$1
fail=0
check() { # description, then the command's expected exit status, then the command
  what=$1 want=$2
  shift 2
  "$@" >/dev/null 2>&1
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want" >&2
    fail=1
  fi
}
check "--help" 0 "$bin" --help
"$bin" --help | grep -q "usage: tokenfab-calibrate" || { echo "FAIL: --help text" >&2; fail=1; }
check "no --out" 2 "$bin" --quick
check "unknown option" 2 "$bin" --out x --bogus
check "--out without a folder" 2 "$bin" --out
check "bad device" 2 "$bin" --out x --device gpu0
check "bad power limits" 2 "$bin" --out x --power-limits 500,abc
check "negative power limit" 2 "$bin" --out x --power-limits -300
check "limits and no limits" 2 "$bin" --out x --power-limits 500 --no-power-limits
# The plans: estimated seconds are the number before " s on an H100".
for mode in quick full; do
  flag=
  budget=540
  if [ "$mode" = quick ]; then flag=--quick budget=100; fi
  out=$("$bin" --plan $flag) || { echo "FAIL: --plan $flag" >&2; fail=1; continue; }
  last=$(printf '%s\n' "$out" | tail -n 1)
  est=$(printf '%s\n' "$last" | sed -n 's/.*estimated \([0-9]*\) s on an H100.*/\1/p')
  count=$(printf '%s\n' "$out" | grep -c '^ *[0-9][0-9]*  ')
  echo "$mode: $count configurations, estimated $est s (budget $budget s)"
  if [ -z "$est" ] || [ "$est" -gt "$budget" ]; then
    echo "FAIL: $mode estimate '$est' s over $budget s" >&2
    fail=1
  fi
  for k in idle hbm_stream gemm grouped_gemm "attn_decode gqa" "attn_decode mla"; do
    printf '%s\n' "$out" | grep -q "  $k " || { echo "FAIL: $mode plan lacks $k" >&2; fail=1; }
  done
done
exit $fail

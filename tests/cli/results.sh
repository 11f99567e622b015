#!/usr/bin/env bash
# results.sh TOKENFAB CSV_TOOL SCENARIO: a run with economics writes its database and CSV files,
# and the CSV's numbers obey the cost arithmetic: cost per million output tokens (all cost on
# output) = the window's cost / the window's output tokens x 1e6; the cost breakdown's lines add
# up to its total; a rented fleet costs GPUs x price per GPU-hour x hours, the arithmetic
# published analyses use. Bad output paths fail with exit 1 and leave no partial files.
set -u
tokenfab=$1 csv=$2 scenario=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "results: $*" >&2; exit 1; }
get() { "$csv" get "$dir/$1" "$2" "$3" || fail "no $3 in $1"; }
# near A B: |A - B| <= 1e-12 max(|A|, |B|)
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a);
  if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b); exit !(d <= 1e-12 * m) }'; }

umask 022
"$tokenfab" run "$scenario" --csv "$dir/own" --db "$dir/r.db" >"$dir/own.out" 2>"$dir/own.err" ||
  fail "the owned run failed: $(cat "$dir/own.err")"
for f in summary classes series costs; do
  [ -s "$dir/own/$f.csv" ] || fail "no $f.csv"
  [ "$(stat -c %a "$dir/own/$f.csv")" = 644 ] || fail "$f.csv has mode $(stat -c %a "$dir/own/$f.csv")"
done
[ -s "$dir/r.db" ] || fail "no database"
grep -q "results: run 1 written to $dir/r.db" "$dir/own.err" || fail "run 1 not reported"
ls -a "$dir/own" | grep -q '^\.' && ls -a "$dir/own" | grep -v '^\.\.\?$' | grep -q '^\.' &&
  fail "temporary files left in $dir/own"

cost=$(get own/summary.csv 1 cost_window_usd)
tokens=$(awk -v r="$(get own/summary.csv 1 output_tokens_per_s)" \
             -v w="$(get own/summary.csv 1 window_s)" 'BEGIN { printf "%.17g", r * w }')
per_mtok=$(get own/summary.csv 1 cost_per_mtok_out_usd)
want=$(awk -v c="$cost" -v t="$tokens" 'BEGIN { printf "%.17g", c / t * 1e6 }')
near "$per_mtok" "$want" || fail "cost per M output tokens $per_mtok, cost / tokens gives $want"

sum=$(awk -F, 'NR > 1 && $4 != "\"total\"" { s += $6 } END { printf "%.17g", s }' \
          "$dir/own/costs.csv")
total=$(awk -F, '$4 == "\"total\"" { print $6 }' "$dir/own/costs.csv")
near "$sum" "$total" || fail "cost lines add up to $sum, the total row says $total"

# A second run appends to the same database.
"$tokenfab" run "$scenario" --db "$dir/r.db" >/dev/null 2>"$dir/own2.err" || fail "second run failed"
grep -q "results: run 2 written" "$dir/own2.err" || fail "the second run is not run 2"

# Rented: 16 GPUs at 2 USD/GPU-hour over the window.
"$tokenfab" run "$scenario" --no-db --csv "$dir/rent" \
  --set 'economics={ownership: rent, gpu_hour_price: 2 USD/GPU-hour, allocation: output}' \
  >/dev/null 2>"$dir/rent.err" || fail "the rented run failed: $(cat "$dir/rent.err")"
[ -e "$dir/rent/results.db" ] && fail "--no-db wrote a database"
gpus=$(get rent/summary.csv 1 gpus)
window=$(get rent/summary.csv 1 window_s)
rent=$(awk -v g="$gpus" -v w="$window" 'BEGIN { printf "%.17g", g * 2 * w / 3600 }')
near "$(get rent/summary.csv 1 cost_window_usd)" "$rent" ||
  fail "rented cost $(get rent/summary.csv 1 cost_window_usd), GPUs x price x hours gives $rent"
rtokens=$(awk -v r="$(get rent/summary.csv 1 output_tokens_per_s)" -v w="$window" \
              'BEGIN { printf "%.17g", r * w }')
near "$(get rent/summary.csv 1 cost_per_mtok_out_usd)" \
     "$(awk -v c="$rent" -v t="$rtokens" 'BEGIN { printf "%.17g", c / t * 1e6 }')" ||
  fail "rented cost per M output tokens is not cost / tokens"

# Output that cannot be written: exit 1, a message, nothing left behind.
"$tokenfab" run "$scenario" --no-db --csv /dev/null/out >/dev/null 2>"$dir/bad.err"
[ $? -eq 1 ] || fail "an unwritable --csv folder did not exit 1"
grep -q "cannot create the folder /dev/null/out" "$dir/bad.err" || fail "no message for --csv"
"$tokenfab" run "$scenario" --db "$dir/no-such/r.db" >/dev/null 2>"$dir/bad.err"
[ $? -eq 1 ] || fail "an unwritable --db did not exit 1"
grep -q "no-such/r.db" "$dir/bad.err" || fail "no message naming the database"
echo "results: CSV and database written; cost arithmetic holds (owned and rented)"

#!/usr/bin/env bash
# spreadsheet.sh TOKENFAB CSV_TOOL SCENARIO: the run's CSV files open in a real spreadsheet
# program (Gnumeric's ssconvert, Debian package gnumeric) and its numbers read back unchanged;
# a class named like a formula stays text instead of being evaluated. Skipped (77) without
# ssconvert; setup.sh test installs it.
set -u
tokenfab=$1 csv=$2 scenario=$3
command -v ssconvert >/dev/null || { echo "spreadsheet: ssconvert not found: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "spreadsheet: $*" >&2; exit 1; }
"$tokenfab" run "$scenario" --no-db --csv "$dir/out" --set 'workload[0].name="=1+1"' \
  >/dev/null 2>"$dir/err" || fail "the run failed: $(cat "$dir/err")"
for f in summary classes series costs; do
  HOME=$dir ssconvert --export-type=Gnumeric_stf:stf_csv "$dir/out/$f.csv" "$dir/$f.back.csv" \
    >/dev/null 2>"$dir/ss.err" || fail "ssconvert could not read $f.csv: $(cat "$dir/ss.err")"
  "$csv" compare "$dir/out/$f.csv" "$dir/$f.back.csv" || fail "$f.csv changed in the spreadsheet"
done
[ "$("$csv" get "$dir/classes.back.csv" 1 class)" = "=1+1" ] ||
  fail "the class named =1+1 was evaluated by the spreadsheet"
echo "spreadsheet: 4 CSV files read back by ssconvert with every value intact; formula text stays text"

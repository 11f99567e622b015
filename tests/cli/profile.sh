#!/usr/bin/env bash
# profile.sh TOKENFAB MEASURED BUILTIN: serving.profile end to end (docs/CALIBRATION.md, "Using a
# profile"), run from the source tree. MEASURED is the recorded H100 measurement folder
# (tests/calibration/fixtures/h100), fitted here into a profile database and a profile.csv;
# BUILTIN is the shipped profiles/ folder tokenfab was built with.
#   exit 0: run and perf with the profile say which one is in use, and print other step times,
#           latencies and power than without it: decode attention, bound by HBM bandwidth, takes
#           exactly default hbm_eff / fitted hbm_eff of its default time; a file relative to the
#           scenario file; names found through TOKENFAB_PROFILE_PATH in order (NAME.db before
#           NAME/profile.csv); --set; a sweep over profiles; validate; a profile.csv, which does
#           not record its GPU, used with a warning;
#   exit 2: a file that is not there, a name found nowhere (with the folders searched and close
#           names), a file that is not a profile, a damaged one, a profile of another GPU: each
#           at serving.profile's value, with its exact message.
set -u
tokenfab=$1 measured=$2 builtin=$3
scenario=tests/cli/fixtures/serve-h100.yaml
h200=tests/cli/fixtures/serve-small.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "profile: $*" >&2; status=1; }

source "$(dirname "$0")/harness.sh"
# run NAME WANT ARGS...: tokenfab ARGS... exits WANT; stdout and stderr in $tmp/NAME.{out,err}.
run() {
  local name=$1 want=$2
  shift 2
  "$tokenfab" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  tf_check "$name" "$want" $?
}

# The profiles: the recorded measurements fitted as tokenfab fit does.
mkdir -p "$tmp/lib" "$tmp/empty" "$tmp/first"
"$tokenfab" fit "$measured" --out "$tmp/lib/h100.db" --csv "$tmp/lib/h100-csv" >/dev/null \
  2>"$tmp/fit.err" || { cat "$tmp/fit.err" >&2; fail "tokenfab fit failed"; exit 1; }
db=$tmp/lib/h100.db csv=$tmp/lib/h100-csv/profile.csv
db_line="profile    fitted for h100-sxm from NVIDIA H100 80GB HBM3 ($db)"

# run: the profile is named near the hardware; latencies, power and energy change; without
# serving.profile nothing is said (the golden run tests prove the output unchanged).
run plain 0 run "$scenario" --no-db
run fitted 0 run "$scenario" --no-db --set serving.profile="$db"
has fitted out "$db_line"
grep -q '^profile' "$tmp/plain.out" && fail "a run without serving.profile names a profile"
[ "$(sed -n '/^hardware/{n;n;p}' "$tmp/fitted.out")" = "$db_line" ] ||
  fail "the profile line does not follow the hardware lines: $(head -8 "$tmp/fitted.out")"
grep -v '^profile' "$tmp/fitted.out" >"$tmp/fitted.rest"
for what in ' TPOT ' '^power ' '^energy '; do
  if [ "$(grep -- "$what" "$tmp/plain.out")" = "$(grep -- "$what" "$tmp/fitted.rest")" ]; then
    fail "run: the '$what' line is the same with and without the profile"
  fi
done

# perf: the profile's line, and HBM-bound decode attention scaled by exactly the fitted hbm_eff.
run perf_plain 0 perf "$scenario" --csv "$tmp/pp"
run perf_fitted 0 perf "$scenario" --csv "$tmp/pf" --set serving.profile="$db"
has perf_fitted out "$db_line"
has perf_plain out "profile    default (datasheet peaks x Hopper kernel measurements)"
# profile.csv: name,value,std_error,unit,source,default_value (the source may hold commas).
hbm=$(awk -F, '$1 == "\"hbm_eff\"" { print $2 }' "$csv")
hbm_default=$(awk -F, '$1 == "\"hbm_eff\"" { print $NF }' "$csv")
[ -n "$hbm" ] && [ -n "$hbm_default" ] || fail "no hbm_eff in $csv"
effs=$(awk -F, '{ v[$1] = $2 } END { printf "GEMM %.4g, attention %.4g, HBM %.4g, scale-up %.4g, scale-out %.4g", v["\"gemm_eff\""], v["\"attn_eff\""], v["\"hbm_eff\""], v["\"scale_up_eff\""], v["\"scale_out_eff\""] }' "$csv")
has perf_fitted out "           efficiency $effs"
grep -q 'efficiency' "$tmp/perf_plain.out" && fail "perf without a profile prints efficiencies"
# perf_steps.csv: batch,kind,sequences,context_tokens,component,time_s,...,bound
paste -d, "$tmp/pp/perf_steps.csv" "$tmp/pf/perf_steps.csv" >"$tmp/steps"
checked=$(awk -F, -v hbm="$hbm" -v def="$hbm_default" '
  $2 == "\"decode\"" && $5 == "\"attention\"" && $10 == "\"HBM\"" {
    want = def / hbm; got = $16 / $6; n++
    if (got > want * (1 + 1e-7) || got < want * (1 - 1e-7))
      printf "%s: %s s with the profile, %s s without: ratio %.9g, expected %.9g\n", $1, $16, $6,
             got, want > "/dev/stderr"
    else ok++
  }
  $2 == "\"decode\"" && $5 == "\"step\"" && (hbm > def) != ($16 < $6) {
    printf "%s: step %s s with the profile, %s s without, against hbm_eff %s for %s\n", $1, $16,
           $6, hbm, def > "/dev/stderr"
    bad++
  }
  END { print (n > 0 && ok == n && !bad) ? n : "failed" }' "$tmp/steps")
[ "$checked" = 5 ] || fail "perf: decode attention does not follow hbm_eff $hbm (default $hbm_default)"

# A file relative to the scenario file's folder.
mkdir -p "$tmp/scen/profiles"
cp "$db" "$tmp/scen/profiles/h100.db"
sed 's|^serving:$|serving:\n  profile: profiles/h100.db|' "$scenario" >"$tmp/scen/s.yaml"
run relative 0 perf "$tmp/scen/s.yaml"
has relative out "profile    fitted for h100-sxm from NVIDIA H100 80GB HBM3 ($tmp/scen/profiles/h100.db)"
run validate 0 validate "$tmp/scen/s.yaml"
sed 's|^serving:$|serving:\n  profile: missing/h100.db|' "$scenario" >"$tmp/scen/missing.yaml"
line=$(grep -n '^  profile:' "$tmp/scen/missing.yaml" | cut -d: -f1)
run missing_file 2 run "$tmp/scen/missing.yaml" --no-db
has missing_file err "$tmp/scen/missing.yaml:$line:12: error: serving.profile: cannot open \"$tmp/scen/missing/h100.db\": No such file or directory (expected a profile database or profile.csv written by tokenfab fit or calibrate)"
has missing_file err "tokenfab run: 1 error in $tmp/scen/missing.yaml; nothing was run"
[ -s "$tmp/missing_file.out" ] && fail "a run with a missing profile printed results"

# Names: TOKENFAB_PROFILE_PATH's folders in order, then the shipped ones; NAME.db, then
# NAME/profile.csv; a name found earlier wins.
export TOKENFAB_PROFILE_PATH="$tmp/empty::$tmp/lib"
run by_name 0 perf "$scenario" --set serving.profile=h100
has by_name out "$db_line"
run by_csv_name 0 perf "$scenario" --set serving.profile=h100-csv
has by_csv_name out "profile    profile $csv"
mkdir -p "$tmp/lib/h100"
cp "$csv" "$tmp/lib/h100/profile.csv"
run db_first 0 perf "$scenario" --set serving.profile=h100
has db_first out "$db_line"
cp "$db" "$tmp/first/h100.db"
TOKENFAB_PROFILE_PATH="$tmp/first:$tmp/lib" run path_order 0 perf "$scenario" \
  --set serving.profile=h100
has path_order out "profile    fitted for h100-sxm from NVIDIA H100 80GB HBM3 ($tmp/first/h100.db)"
run sweep 2 sweep "$scenario" --set duration=20s --set warmup=5s --quiet --db "$tmp/sweep.db" \
  --sweep serving.profile=h100,h100-csv,none.db --dry-run
has_text sweep err "serving.profile: cannot open \"tests/cli/fixtures/none.db\""
run sweep_ok 0 sweep "$scenario" --set duration=20s --set warmup=5s --quiet --db "$tmp/sweep.db" \
  --sweep serving.profile=h100,h100-csv

# Mistakes: exit 2, the message at serving.profile's value (--set:1:17 for --set).
set_at="--set:1:17: error: serving.profile:"
run no_name 2 perf "$scenario" --set serving.profile=h10
has no_name err "$set_at no profile named \"h10\" (looked for h10.db and h10/profile.csv in $tmp/empty, $tmp/lib, $builtin); did you mean \"h100\"? (known: h100, h100-csv)"
has no_name err "tokenfab perf: 1 error in $scenario; nothing was run"
TOKENFAB_PROFILE_PATH="$tmp/empty" run no_profiles 2 validate "$scenario" --set serving.profile=h100
has_text no_profiles err "$set_at no profile named \"h100\" (looked for h100.db and h100/profile.csv in $tmp/empty, $builtin"
unset TOKENFAB_PROFILE_PATH
run no_file 2 perf "$scenario" --set serving.profile=no-such/h100.db
has no_file err "$set_at cannot open \"tests/cli/fixtures/no-such/h100.db\": No such file or directory (expected a profile database or profile.csv written by tokenfab fit or calibrate)"
run results_db 0 run "$scenario" --db "$tmp/results.db" --set duration=20s --set warmup=5s
run not_profile 2 run "$scenario" --no-db --set serving.profile="$tmp/results.db"
has_text not_profile err "$set_at $tmp/results.db: not a tokenfab profile (SQLite application_id "
has_text not_profile err ", expected 1413894214 as tokenfab fit writes)"
head -c 4096 "$db" >"$tmp/damaged.db"
run damaged_db 2 perf "$scenario" --set serving.profile="$tmp/damaged.db"
has_text damaged_db err "$set_at $tmp/damaged.db: "
sed 's/^"hbm_eff",0\.89/"hbm_eff",x0.89/' "$csv" >"$tmp/damaged.csv"
hbm_line=$(grep -n '^"hbm_eff",' "$tmp/damaged.csv" | cut -d: -f1)
run damaged_csv 2 perf "$scenario" --set serving.profile="$tmp/damaged.csv"
has damaged_csv err "$set_at $tmp/damaged.csv:$hbm_line: hbm_eff has a value or std_error that is not a number (expected plain decimals)"
run other_gpu 2 run "$h200" --no-db --set serving.profile="$db"
has other_gpu err "$set_at $db was fitted for h100-sxm, but serving.system hgx-h200 has h200 GPUs: calibrate on that GPU or remove serving.profile"
run other_gpu_validate 2 validate "$h200" --set serving.profile="$db"
has other_gpu_validate err "tokenfab validate: 1 error in $h200; nothing was run"

# A profile.csv does not say which GPU it was fitted for: used, with a warning.
run csv_unchecked 0 perf "$h200" --set serving.profile="$csv"
has csv_unchecked err "--set:1:17: warning: serving.profile: $csv does not record the GPU it was fitted for (a profile.csv holds parameters only); used for the h200 GPUs of hgx-h200 unchecked (a profile database is checked)"
exit $status

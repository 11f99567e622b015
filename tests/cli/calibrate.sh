#!/usr/bin/env bash
# calibrate.sh TOKENFAB MEASURED: `tokenfab calibrate` end to end without a GPU, run from the
# source tree. The measuring program is fixtures/fake-calibrate.sh, which copies the recorded
# measurement folder MEASURED (tests/calibration/fixtures/h100) where it is told to.
#   exit 0: the profile equals `tokenfab fit MEASURED`'s (profile.csv and fits.csv byte for byte,
#           the table, the database's tables, and what perf makes of it); --quick passed on;
#           the measuring program's standard output kept off tokenfab's; --keep DIR; the default
#           --out; the program found through TOKENFAB_CALIBRATE, beside tokenfab, in ../kernels
#           from it, on PATH;
#   exit 1: a measuring program that fails (its message passed through), or is interrupted, or
#           is not found (how to build it, and the alternative), a fit refused after measuring;
#   exit 2: bad usage.
# Every case leaves TMPDIR as empty as it found it: no temporary folder behind.
set -u
tokenfab=$1 measured=$2
case $tokenfab in /*) ;; *) tokenfab=$PWD/$tokenfab ;; esac # the tests change folder
fake=$PWD/tests/cli/fixtures/fake-calibrate.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/tmpdir FAKE_CALIBRATE_FROM=$measured
case $measured in /*) ;; *) FAKE_CALIBRATE_FROM=$PWD/$measured ;; esac
mkdir -p "$TMPDIR"
unset TOKENFAB_CALIBRATE FAKE_CALIBRATE_FAIL FAKE_CALIBRATE_WAIT FAKE_CALIBRATE_ARGS
status=0
fail() { echo "calibrate: $*" >&2; status=1; }

source "$(dirname "$0")/harness.sh"
# run NAME WANT ARGS...: tokenfab ARGS... exits WANT and leaves no temporary folder; stdout and
# stderr in $tmp/NAME.{out,err}.
run() {
  local name=$1 want=$2
  shift 2
  "$tokenfab" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  check "$name" "$want" $?
}
check() {
  local name=$1
  tf_check "$@"
  local left
  left=$(ls -A "$TMPDIR")
  [ -z "$left" ] || { fail "$name: left in TMPDIR: $left"; rm -rf "${TMPDIR:?}"/*; }
}

# The same profile as tokenfab fit of the same folder.
FAKE_CALIBRATE_ARGS=$tmp/args TOKENFAB_CALIBRATE=$fake run cal 0 calibrate --quick \
  --out "$tmp/cal.db" --csv "$tmp/cal"
run fit 0 fit "$measured" --out "$tmp/fit.db" --csv "$tmp/fit"
for f in profile.csv fits.csv; do
  cmp -s "$tmp/cal/$f" "$tmp/fit/$f" || fail "$f differs between calibrate and fit"
done
cmp -s <(tail -n +2 "$tmp/cal.out") <(tail -n +2 "$tmp/fit.out") ||
  fail "the fit's table differs: $(diff <(tail -n +2 "$tmp/cal.out") <(tail -n +2 "$tmp/fit.out"))"
has cal err "tokenfab calibrate: wrote $tmp/cal.db, $tmp/cal/profile.csv and $tmp/cal/fits.csv"
has cal err "this line went to standard output" # the program's stdout is not the table's
grep -q "standard output" "$tmp/cal.out" && fail "the measuring program's output is in stdout"
[ "$(sed -n 1p "$tmp/args"),$(sed -n 3p "$tmp/args")" = "--out,--quick" ] &&
  case "$(sed -n 2p "$tmp/args")" in "$TMPDIR"/tokenfab-calibrate.*) true ;; *) false ;; esac ||
  fail "the measuring program got: $(tr '\n' ' ' <"$tmp/args")"
if command -v sqlite3 >/dev/null; then
  for table in device measurements parameters fits; do
    [ "$(sqlite3 "$tmp/cal.db" "SELECT * FROM $table ORDER BY 1")" = \
      "$(sqlite3 "$tmp/fit.db" "SELECT * FROM $table ORDER BY 1")" ] ||
      fail "the $table tables of the two profiles differ"
  done
fi
scenario=tests/cli/fixtures/serve-h100.yaml
run perf_cal 0 perf "$scenario" --set serving.profile="$tmp/cal.db"
run perf_fit 0 perf "$scenario" --set serving.profile="$tmp/fit.db"
cmp -s <(grep -v '^profile' "$tmp/perf_cal.out") <(grep -v '^profile' "$tmp/perf_fit.out") ||
  fail "perf differs between the calibrated and the fitted profile"

# --keep DIR: the measurements, profile.db, profile.csv and fits.csv there, as fit DIR leaves them.
TOKENFAB_CALIBRATE=$fake run keep 0 calibrate --keep "$tmp/kept"
for f in device.csv measurements.csv profile.db profile.csv fits.csv; do
  [ -s "$tmp/kept/$f" ] || fail "--keep: no $f in $tmp/kept"
done
cmp -s "$tmp/kept/profile.csv" "$tmp/fit/profile.csv" || fail "--keep: profile.csv differs"

# Without --out or --keep: profile.db in the current folder, and nothing else.
mkdir "$tmp/here"
(cd "$tmp/here" && TOKENFAB_CALIBRATE=$fake "$tokenfab" calibrate >"$tmp/here.out" \
  2>"$tmp/here.err")
check here 0 $?
[ "$(ls -A "$tmp/here")" = profile.db ] || fail "default --out: $tmp/here holds $(ls -A "$tmp/here")"
has here err "tokenfab calibrate: wrote profile.db"

# Where the program is found: beside tokenfab, in ../kernels from it, on PATH.
mkdir -p "$tmp/beside" "$tmp/tree/cli" "$tmp/tree/kernels" "$tmp/path" "$tmp/nothing"
cp "$tokenfab" "$tmp/beside/tokenfab"
cp "$fake" "$tmp/beside/tokenfab-calibrate"
cp "$tokenfab" "$tmp/tree/cli/tokenfab"
cp "$fake" "$tmp/tree/kernels/tokenfab-calibrate"
cp "$fake" "$tmp/path/tokenfab-calibrate"
cp "$tokenfab" "$tmp/nothing/tokenfab"
tokenfab=$tmp/beside/tokenfab run beside 0 calibrate --out "$tmp/beside.db"
has_text beside err "measuring with $tmp/beside/tokenfab-calibrate into $TMPDIR/tokenfab-calibrate."
tokenfab=$tmp/tree/cli/tokenfab run tree 0 calibrate --out "$tmp/tree.db"
has_text tree err "measuring with $tmp/tree/cli/../kernels/tokenfab-calibrate into"
# (the stand-in program needs bash, which PATH finds after it)
PATH=$tmp/path:$PATH "$tmp/nothing/tokenfab" calibrate --out "$tmp/path.db" >"$tmp/on_path.out" \
  2>"$tmp/on_path.err"
check on_path 0 $?
has_text on_path err "measuring with $tmp/path/tokenfab-calibrate into"

# Not found: exit 1, how to build it and what to do instead; nothing created.
PATH=$tmp/nothing/none "$tmp/nothing/tokenfab" calibrate --out "$tmp/m.db" >"$tmp/missing.out" \
  2>"$tmp/missing.err"
check missing 1 $?
has missing err "tokenfab calibrate: the measuring program tokenfab-calibrate was not found (TOKENFAB_CALIBRATE is not set; not in $tmp/nothing beside tokenfab, nor in $tmp/nothing/../kernels; not on PATH): this tokenfab was built without the CUDA measuring program, which is built only where the CUDA Toolkit is found"
has missing err "  build it: cmake -S . -B build -DTF_ENABLE_CUDA=ON with the CUDA Toolkit's nvcc on PATH; or alone on a GPU node with only the CUDA Toolkit: cmake -S kernels -B build-calibrate && cmake --build build-calibrate, then point TOKENFAB_CALIBRATE at build-calibrate/tokenfab-calibrate"
has missing err "  or measure elsewhere: run tokenfab-calibrate --out DIR on a GPU node, then tokenfab fit DIR here"
TOKENFAB_CALIBRATE=$tmp/no-such-program run not_executable 1 calibrate --out "$tmp/m.db"
has not_executable err "tokenfab calibrate: TOKENFAB_CALIBRATE is \"$tmp/no-such-program\", which is not an executable file (expected the path of tokenfab-calibrate)"
[ -e "$tmp/m.db" ] && fail "a calibration without a measuring program wrote a profile"

# The measuring program fails: its message passed through, exit 1, nothing written.
FAKE_CALIBRATE_FAIL="no CUDA device: CUDA driver version is insufficient for CUDA runtime version" \
  TOKENFAB_CALIBRATE=$fake run no_gpu 1 calibrate --out "$tmp/f.db"
has no_gpu err "tokenfab-calibrate: no CUDA device: CUDA driver version is insufficient for CUDA runtime version"
has no_gpu err "tokenfab calibrate: $fake failed (exit status 1, its messages above): nothing measured, no profile written"
[ -e "$tmp/f.db" ] && fail "a failed measuring run wrote a profile"

# Interrupted: SIGTERM to tokenfab reaches the program, which stops; tokenfab cleans up.
FAKE_CALIBRATE_WAIT=1 TOKENFAB_CALIBRATE=$fake "$tokenfab" calibrate --out "$tmp/i.db" \
  >"$tmp/interrupted.out" 2>"$tmp/interrupted.err" &
pid=$!
for _ in $(seq 100); do
  compgen -G "$TMPDIR/tokenfab-calibrate.*/.measuring" >/dev/null && break
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
check interrupted 1 $?
has interrupted err "interrupted: nothing written"
has interrupted err "tokenfab calibrate: $fake failed (exit status 1, its messages above): nothing measured, no profile written"

# Measured, but the fit is refused: exit 1, and the measurements are gone unless kept.
FAKE_CALIBRATE_FROM=$PWD/tests/calibration/fixtures/few_points TOKENFAB_CALIBRATE=$fake \
  run refused 1 calibrate --out "$tmp/r.db"
has refused err "tokenfab calibrate: refused: gemm: 3 rows for 2 parameters (expected at least 4: the parameters + 2)"
has refused err "tokenfab calibrate: the measurements are discarded; run again with --keep DIR to keep them (then tokenfab fit DIR)"

# Bad usage: exit 2, before anything runs.
TOKENFAB_CALIBRATE=$fake run extra 2 calibrate some-folder
has extra err "tokenfab calibrate: unexpected argument 'some-folder' (calibrate measures the GPU it runs on into a temporary folder, or into --keep DIR)"
TOKENFAB_CALIBRATE=$fake run typo 2 calibrate --quik
has typo err "tokenfab calibrate: unknown option '--quik'; did you mean '--quick'?"
TOKENFAB_CALIBRATE=$fake run no_keep 2 calibrate --keep
has no_keep err "tokenfab calibrate: --keep needs a folder, as in --keep calib-h100"
run fit_no_keep 2 fit "$measured" --keep "$tmp/k"
has_text fit_no_keep err "tokenfab fit: unknown option '--keep'"
exit $status

#!/usr/bin/env bash
# fit_cli.sh TOKENFAB FIXTURES GOLDEN: `tokenfab fit` end to end, run from the source tree.
#   exit 0: a profile from the H100 fixture, its table equal to GOLDEN/fit_h100.out, the same
#           folder giving a byte-identical profile.csv and fits.csv, default outputs in DIR,
#           --gpu naming a GPU the driver's name does not match;
#   exit 1: refused fits (too few rows, nonsense times), nothing written;
#   exit 2: bad files, a GPU name no catalogue entry matches, an unknown --gpu, bad usage.
# TF_UPDATE_GOLDEN=1 rewrites the golden table (review the diff).
set -u
tokenfab=$1 fixtures=$2 golden=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "fit_cli: $*" >&2; status=1; }

source "$(dirname "$0")/../cli/harness.sh"
# run NAME WANT ARGS...: tokenfab fit ARGS... exits WANT; stdout and stderr in $tmp/NAME.{out,err}.
run() {
  local name=$1 want=$2
  shift 2
  "$tokenfab" fit "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  tf_check "$name" "$want" $?
}
# expect_err NAME TEXT: stderr of NAME holds TEXT.
expect_err() { has_text "$1" err "$2"; }

# A profile, twice from the same folder: the same bytes.
run a 0 "$fixtures/h100" --out "$tmp/a.db" --csv "$tmp/a"
run b 0 "$fixtures/h100" --out "$tmp/b.db" --csv "$tmp/b"
for f in profile.csv fits.csv; do
  cmp -s "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs between two fits of the same folder"
done
[ -s "$tmp/a.db" ] || fail "no database written"
cmp -s "$tmp/a.out" "$tmp/b.out" || fail "the table differs between two fits of the same folder"
expect_err a "tokenfab fit: wrote $tmp/a.db, $tmp/a/profile.csv and $tmp/a/fits.csv"
if [ "${TF_UPDATE_GOLDEN:-0}" = 1 ]; then
  cp "$tmp/a.out" "$golden/fit_h100.out"
elif ! diff -u "$golden/fit_h100.out" "$tmp/a.out" >&2; then
  fail "the table differs from $golden/fit_h100.out"
fi
leftover=$(find "$tmp/a" "$tmp/b" -name '.*' -type f)
[ -z "$leftover" ] || fail "temporary files left: $leftover"

# Defaults: DIR/profile.db, DIR/profile.csv and DIR/fits.csv.
cp -r "$fixtures/h100" "$tmp/h"
run defaults 0 "$tmp/h"
for f in profile.db profile.csv fits.csv; do
  [ -s "$tmp/h/$f" ] || fail "default output $tmp/h/$f missing"
done
cmp -s "$tmp/a/profile.csv" "$tmp/h/profile.csv" || fail "the default profile.csv differs"

# Refused: exit 1, the reason, no profile.
run few 1 "$fixtures/few_points" --out "$tmp/few.db" --csv "$tmp/few"
expect_err few "tokenfab fit: refused: gemm: 3 rows for 2 parameters (expected at least 4: the parameters + 2)"
expect_err few "tokenfab fit: no profile written"
[ ! -e "$tmp/few.db" ] && [ ! -e "$tmp/few/profile.csv" ] || fail "a refused fit wrote a profile"
run nonsense 1 "$fixtures/nonsense" --out "$tmp/nonsense.db" --csv "$tmp/nonsense"
expect_err nonsense "tokenfab fit: refused: gemm: RMS relative error 55.8% is above the 15% a profile accepts"

# Bad input: exit 2.
run truncated 2 "$fixtures/bad/truncated" --out "$tmp/t.db"
expect_err truncated "bad/truncated/measurements.csv:4: 18 fields (expected 22, one per header column)"
run no_device 2 "$fixtures/bad/no_device" --out "$tmp/t.db"
expect_err no_device "bad/no_device/device.csv: cannot open: No such file or directory"
run unmatched 2 "$fixtures/unknown_gpu" --out "$tmp/u.db"
expect_err unmatched "tokenfab fit: no catalogue GPU matches \"NVIDIA H100 PCIe\" (gpu_name in $fixtures/unknown_gpu/device.csv); name the GPU with --gpu (known: h100-sxm, h800, h200"
run named 0 "$fixtures/unknown_gpu" --gpu h100-sxm --out "$tmp/u.db" --csv "$tmp/u"
grep -q '^"hbm_eff",0\.89' "$tmp/u/profile.csv" || fail "--gpu h100-sxm: no fitted hbm_eff"
run unknown_gpu 2 "$fixtures/h100" --gpu h100-sxn --out "$tmp/x.db"
expect_err unknown_gpu "tokenfab fit: --gpu: unknown gpu \"h100-sxn\"; did you mean \"h100-sxm\"?"
run no_dir 2
expect_err no_dir "tokenfab fit: expected a measurement folder"
run bad_option 2 "$fixtures/h100" --gpus h100-sxm
expect_err bad_option "tokenfab fit: unknown option '--gpus'; did you mean '--gpu'?"
run two_dirs 2 "$fixtures/h100" "$fixtures/few_points"
[ ! -e "$tmp/t.db" ] && [ ! -e "$tmp/x.db" ] || fail "bad input wrote a profile"

# A profile that cannot be written: exit 1.
run unwritable 1 "$fixtures/h100" --out "$tmp/no/such/dir/p.db" --csv "$tmp/w"
expect_err unwritable "cannot create a file in its folder"
exit $status

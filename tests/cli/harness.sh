# Helpers for the shell tests that run tokenfab several times (sourced, not run). The sourcing
# script sets tmp (a scratch folder holding NAME.out and NAME.err per run) and status, and defines
# fail MESSAGE (report and set status=1) before calling them.

# tf_check NAME WANT GOT: a run that exited GOT should have exited WANT, with no sanitizer report
# in $tmp/NAME.err.
tf_check() {
  local name=$1 want=$2 got=$3
  if grep -q 'Sanitizer' "$tmp/$name.err"; then
    fail "$name: a sanitizer reported an error"
    cat "$tmp/$name.err" >&2
  fi
  if [ "$got" != "$want" ]; then
    fail "$name: exit $got, expected $want"
    cat "$tmp/$name.err" >&2
  fi
}

# has NAME STREAM LINE: $tmp/NAME.STREAM holds LINE as a whole line.
has() {
  grep -qxF -- "$3" "$tmp/$1.$2" || { fail "$1: std$2 lacks the line: $3"; cat "$tmp/$1.$2" >&2; }
}

# has_text NAME STREAM TEXT: $tmp/NAME.STREAM holds TEXT somewhere.
has_text() {
  grep -qF -- "$3" "$tmp/$1.$2" || { fail "$1: std$2 lacks: $3"; cat "$tmp/$1.$2" >&2; }
}

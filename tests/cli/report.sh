#!/usr/bin/env bash
# report.sh TOKENFAB SCENARIO: `tokenfab report` end to end. First its mistakes: unknown run and
# sweep ids (listing those there are), files that are not results databases, missing --html,
# missing Chart.js, an unwritable page, each with its exit status and nothing written. Then the
# pages of a run and of a sweep opened in headless Chromium: every chart must have drawn (the
# page's own check, docs/REPORTS.md: data elements on each canvas and painted pixels counted
# with getImageData, tooltips built, no script error), and a screenshot must differ from a
# blank page's. Skipped (77) after the mistakes without Chromium or Chart.js (Debian packages
# chromium and libjs-chart.js; setup.sh test installs them).
set -u
tokenfab=$1 scenario=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "report: $*" >&2; exit 1; }

# expect STATUS TEXT ARGS...: `tokenfab ARGS...` exits with STATUS and says TEXT on stderr.
expect() {
  local status=$1 text=$2
  shift 2
  "$tokenfab" "$@" >"$dir/out" 2>"$dir/err"
  local got=$?
  [ "$got" -eq "$status" ] || fail "tokenfab $* exited $got, not $status: $(cat "$dir/err")"
  grep -qF -- "$text" "$dir/err" || fail "tokenfab $* did not say '$text': $(cat "$dir/err")"
}

# The databases: one run, and a 3 x 2 sweep of short runs.
"$tokenfab" run "$scenario" --db "$dir/run.db" >/dev/null 2>"$dir/err" ||
  fail "the run failed: $(cat "$dir/err")"
"$tokenfab" sweep "$scenario" --set duration=20s --set warmup=5s \
  --sweep 'workload[0].arrival.rate=10/s,20/s,40/s' --sweep 'serving.max_batch_seqs=64,512' \
  --db "$dir/sweep.db" --quiet >/dev/null 2>"$dir/err" || fail "the sweep failed: $(cat "$dir/err")"

# Mistakes: exit 2 for bad usage and unknown ids, 1 when Chart.js or the page fails; an existing
# page is left as it was.
echo "old page" >"$dir/keep.html"
page=$dir/keep.html
expect 2 "run.db: no run 99; its runs: 1" report "$dir/run.db" --run 99 --html "$page"
expect 2 "sweep.db: no sweep 7; its sweeps: 1" report "$dir/sweep.db" --sweep 7 --html "$page"
expect 2 "run.db: holds no sweeps" report "$dir/run.db" --sweep 1 --html "$page"
echo "name: not a database" >"$dir/text.db"
expect 2 "text.db: not a tokenfab results database" report "$dir/text.db" --html "$page"
: >"$dir/empty.db"
expect 2 "empty.db: not a tokenfab results database" report "$dir/empty.db" --html "$page"
expect 2 "missing.db: cannot open the results database: No such file or directory" \
  report "$dir/missing.db" --html "$page"
[ ! -e "$dir/missing.db" ] || fail "reading a missing database created it"
expect 2 "--html FILE is missing" report "$dir/run.db"
expect 2 "--run and --sweep exclude each other" report "$dir/run.db" --run 1 --sweep 1 \
  --html "$page"
expect 2 "--run needs an id, a whole number from 1 (got 'latest')" report "$dir/run.db" \
  --run latest --html "$page"
expect 2 "unknown option '--htm'; did you mean '--html'?" report "$dir/run.db" --htm "$page"
expect 2 "expected a results database" report --html "$page"
expect 1 "install the Debian package libjs-chart.js" report "$dir/run.db" \
  --chartjs "$dir/no-chart.js" --html "$page"
[ "$(cat "$page")" = "old page" ] || fail "a failed report changed the existing page"
echo "var Chart = {};" >"$dir/fake-chart.js"
expect 1 "no-such-dir/r.html" report "$dir/run.db" --html "$dir/no-such-dir/r.html" \
  --chartjs "$dir/fake-chart.js"
[ -z "$(find "$dir" -name '.*.html.*')" ] || fail "a temporary page was left behind"

# The pages need Chromium and Chart.js from here on.
browser=""
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null && { browser=$b; break; }
done
[ -n "$browser" ] || { echo "report: no Chromium: browser checks skipped"; exit 77; }
chartjs=""
for f in chart.umd.min.js chart.umd.js chart.min.js Chart.min.js chart.js; do
  [ -f "/usr/share/javascript/chart.js/$f" ] && { chartjs=$f; break; }
done
if [ -z "$chartjs" ]; then
  echo "report: no Chart.js (libjs-chart.js): browser checks skipped"
  exit 77
fi

"$tokenfab" report "$dir/run.db" --html "$dir/run.html" 2>"$dir/err" ||
  fail "report of the run failed: $(cat "$dir/err")"
"$tokenfab" report "$dir/sweep.db" --sweep 1 --html "$dir/sweep.html" 2>"$dir/err" ||
  fail "report of the sweep failed: $(cat "$dir/err")"
"$tokenfab" report "$dir/sweep.db" --run 3 --html "$dir/sweep-run.html" 2>"$dir/err" ||
  fail "report of a sweep's run failed: $(cat "$dir/err")"
grep -qF "sweep 1, point 2" "$dir/sweep-run.html" || fail "a sweep's run does not say its place"
[ -z "$(find "$dir" -name '.*.html.*')" ] || fail "a temporary page was left behind"
# Without scripts, the numbers are there as plain HTML.
grep -qF '<dt>Output tokens/s</dt>' "$dir/run.html" || fail "the run page has no headline"
grep -qF '<table id="classes">' "$dir/run.html" || fail "the run page has no class table"
grep -qF '<table id="points-table" class="sortable">' "$dir/sweep.html" ||
  fail "the sweep page has no points table"
# Offline: nothing is fetched.
! grep -qiE '<(script|link|img)[^>]* (src|href)=' "$dir/run.html" "$dir/sweep.html" ||
  fail "a page loads something from outside itself"

# chrome ARGS...: headless Chromium with a profile of its own, quiet.
chrome() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$dir/profile" --virtual-time-budget=5000 "$@" \
    2>>"$dir/chrome.err"
}

# check PAGE CHARTS TOOLTIP...: the page's status is "charts-ok CHARTS", and its tooltips say
# each TOOLTIP text.
check() {
  local page=$1 charts=$2
  shift 2
  chrome --dump-dom "file://$dir/$page.html" >"$dir/$page.dom" ||
    fail "Chromium could not load $page.html: $(tail -5 "$dir/chrome.err")"
  local status detail tips
  status=$(sed -n 's/.*<html[^>]* data-report-status="\([^"]*\)".*/\1/p' "$dir/$page.dom" | head -1)
  detail=$(sed -n 's/.*<html[^>]* data-report-detail="\([^"]*\)".*/\1/p' "$dir/$page.dom" | head -1)
  tips=$(sed -n 's/.*<html[^>]* data-report-tooltips="\([^"]*\)".*/\1/p' "$dir/$page.dom" | head -1)
  [ "$status" = "charts-ok $charts" ] ||
    fail "$page.html: status '$status', not 'charts-ok $charts' ($detail)"
  local text
  for text in "$@"; do
    case "$tips" in *"$text"*) ;; *) fail "$page.html: no tooltip says '$text': $tips" ;; esac
  done
  chrome --hide-scrollbars --window-size=1280,2000 --screenshot="$dir/$page.png" \
    "file://$dir/$page.html" >/dev/null || fail "Chromium could not screenshot $page.html"
  [ "$(head -c 8 "$dir/$page.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "$page.png is not a PNG"
  local size
  size=$(stat -c %s "$dir/$page.png")
  # A blank page compresses to a few kB; charts, text and tables to far more.
  [ "$size" -gt $((blank * 5)) ] && [ "$size" -gt 50000 ] ||
    fail "$page.png is $size bytes, a blank page's is $blank: nothing drawn?"
  echo "report: $page.html: $status; $detail; screenshot $size bytes (blank $blank)"
}

printf '<!DOCTYPE html><html><body></body></html>\n' >"$dir/blank.html"
chrome --hide-scrollbars --window-size=1280,2000 --screenshot="$dir/blank.png" \
  "file://$dir/blank.html" >/dev/null || fail "Chromium could not screenshot a blank page"
blank=$(stat -c %s "$dir/blank.png")

check run 5 "chart-ttft: agent; p50: " "chart-power: interval from 0 s; IT power: " \
  "chart-costs: Systems (capital): \$"
check sweep 5 \
  "chart-front-power: point 0, on the frontier; workload[0].arrival.rate = 10/s; serving.max_batch_seqs = 64" \
  "per M output tokens" "chart-effect-1: 64; \$"
echo "report: the mistakes refused, and both pages drew every chart in $browser"

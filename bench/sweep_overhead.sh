#!/usr/bin/env bash
# sweep_overhead.sh TOKENFAB SCENARIO [POINTS] [JOBS]: the cost of running points as a sweep.
# Runs POINTS (default 1000) tiny points (1 simulated second each) with JOBS (default 2)
# workers, and compares the sweep's wall time with the sum of the runs' own wall times (the
# database's runs.wall_s: loading is outside it, the simulation and result tables inside).
# Overhead = validating every point before starting, loading each run's scenario, forking, the
# database writes and the sweep table. Needs the sqlite3 shell. Figures: docs/PERFORMANCE.md.
set -eu
tokenfab=$1 scenario=$2 points=${3:-1000} jobs=${4:-2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
last=$((points - 1))
start=$(date +%s.%N)
"$tokenfab" sweep "$scenario" --set duration=2s --set warmup=1s --quiet --jobs "$jobs" \
  --sweep "workload[0].prefix_hit=0..0.$(printf %03d $last) step 0.001" --db "$dir/r.db" --csv "$dir" >/dev/null 2>"$dir/err"
end=$(date +%s.%N)
sum=$(sqlite3 "$dir/r.db" "SELECT sum(wall_s) FROM runs")
awk -v p="$points" -v j="$jobs" -v s="$start" -v e="$end" -v r="$sum" 'BEGIN {
  w = e - s
  printf "points=%d jobs=%d sweep_wall_s=%.3f sum_run_wall_s=%.3f ratio=%.3f per_point_overhead_ms=%.3f\n",
    p, j, w, r, w / r, (w - r / j) / p * 1000 * j }'

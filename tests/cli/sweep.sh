#!/usr/bin/env bash
# sweep.sh TOKENFAB SCENARIO [MPIRUN]: a sweep gives byte-identical sweep tables run in one
# process, in two worker processes, as two shards merged, with `mpirun -n 2` (when tokenfab was
# built with MPI: MPIRUN names mpirun), and killed at a random moment then resumed; --resume is
# required to add to a sweep already begun; merge refuses a different sweep.
set -u
tokenfab=$1 scenario=$2 mpirun=${3:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "sweep: $*" >&2; exit 1; }
# 6 points x 2 replications of a short run.
axes=(--set duration=20s --set warmup=5s --replications 2
      --sweep 'workload[0].arrival.rate=10/s,20/s,40/s' --sweep 'serving.max_batch_seqs=64,512')
sweep() { "$tokenfab" sweep "$scenario" "${axes[@]}" --quiet "$@"; }

sweep --dry-run >"$dir/dry.out" 2>"$dir/dry.err" || fail "--dry-run failed: $(cat "$dir/dry.err")"
grep -q '^6 points x 2 replications = 12 runs$' "$dir/dry.out" || fail "dry run: $(cat "$dir/dry.out")"
grep -q 'point 5 .*arrival.rate=40/s, serving.max_batch_seqs=512' "$dir/dry.out" ||
  fail "dry run does not list point 5 as expected: $(cat "$dir/dry.out")"

sweep --jobs 1 --csv "$dir/one" >"$dir/one.out" 2>"$dir/one.err" ||
  fail "--jobs 1 failed: $(cat "$dir/one.err")"
[ "$(wc -l <"$dir/one/sweep.csv")" -eq 7 ] || fail "sweep.csv has not 6 rows: $(cat "$dir/one/sweep.csv")"
sweep --jobs 2 --csv "$dir/two" >"$dir/two.out" 2>"$dir/two.err" ||
  fail "--jobs 2 failed: $(cat "$dir/two.err")"
cmp "$dir/one/sweep.csv" "$dir/two/sweep.csv" || fail "--jobs 1 and --jobs 2 tables differ"
cmp "$dir/one.out" "$dir/two.out" || fail "--jobs 1 and --jobs 2 print different frontiers"

if [ -n "$mpirun" ]; then
  # Oversubscribed (CI machines have 2 cores) and allowed as root (CI runs as root). Under
  # AddressSanitizer, OpenMPI's components are unloaded before the leak check: only full stack
  # unwinding lets the LSAN_OPTIONS suppressions (lsan-mpi.supp) recognise their allocations.
  ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}fast_unwind_on_malloc=0" \
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    "$mpirun" --oversubscribe -n 2 "$tokenfab" sweep "$scenario" "${axes[@]}" --quiet \
    --csv "$dir/mpi" >"$dir/mpi.out" 2>"$dir/mpi.err" || fail "mpirun -n 2 failed: $(cat "$dir/mpi.err")"
  grep -q "1 MPI worker ranks" "$dir/mpi.err" || fail "mpirun did not run MPI workers: $(cat "$dir/mpi.err")"
  cmp "$dir/one/sweep.csv" "$dir/mpi/sweep.csv" || fail "mpirun -n 2 and --jobs 1 tables differ"
  cmp "$dir/one.out" "$dir/mpi.out" || fail "mpirun -n 2 prints different frontiers"
  echo "mpirun -n 2: the same table"
fi

for i in 1 2; do
  sweep --shard $i/2 --db "$dir/shard$i.db" >/dev/null 2>"$dir/shard$i.err" ||
    fail "shard $i failed: $(cat "$dir/shard$i.err")"
done
"$tokenfab" merge "$dir/merged.db" "$dir/shard1.db" "$dir/shard2.db" >"$dir/merge.out" ||
  fail "merge failed"
grep -q "shard2.db: 6 runs added, 0 already" "$dir/merge.out" || fail "merge: $(cat "$dir/merge.out")"
sweep --db "$dir/merged.db" --resume --csv "$dir/merged" >/dev/null 2>"$dir/m.err" ||
  fail "the merged table failed: $(cat "$dir/m.err")"
grep -q "0 runs to do" "$dir/m.err" || fail "the merged database misses runs: $(cat "$dir/m.err")"
cmp "$dir/one/sweep.csv" "$dir/merged/sweep.csv" || fail "two shards merged differ from one process"

# Adding to a sweep already in the database needs --resume.
sweep --db "$dir/shard1.db" >/dev/null 2>"$dir/again.err"
[ $? -eq 2 ] || fail "a second sweep into the same database did not exit 2"
grep -q "already holds 6 runs of this sweep; add --resume" "$dir/again.err" ||
  fail "no hint to --resume: $(cat "$dir/again.err")"

# Killed at a random moment (SIGKILL to the whole process group), then resumed: a longer sweep
# (24 runs of 2 simulated minutes, about a second) so that the kill lands mid-way.
long=(--set duration=2min --set warmup=10s --replications 4
      --sweep 'workload[0].arrival.rate=10/s,20/s,40/s' --sweep 'serving.max_batch_seqs=64,512')
"$tokenfab" sweep "$scenario" "${long[@]}" --quiet --jobs 2 --csv "$dir/ref" >/dev/null 2>&1 ||
  fail "the uninterrupted long sweep failed"
for attempt in 1 2 3; do
  rm -rf "$dir/k"
  mkdir "$dir/k"
  setsid "$tokenfab" sweep "$scenario" "${long[@]}" --quiet --jobs 2 --db "$dir/k/r.db" \
    >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -KILL -- -"$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  "$tokenfab" sweep "$scenario" "${long[@]}" --quiet --jobs 2 --db "$dir/k/r.db" --resume \
    --csv "$dir/k" >/dev/null 2>"$dir/k.err" || fail "resume failed: $(cat "$dir/k.err")"
  cmp "$dir/ref/sweep.csv" "$dir/k/sweep.csv" || fail "killed and resumed differs from one run"
  echo "attempt $attempt: $(grep -o '[0-9]* runs to do' "$dir/k.err") of 24 after the kill"
done

# A bad value in any point: every bad point reported, exit 2, nothing run or written.
"$tokenfab" sweep "$scenario" --set duration=20s --quiet --jobs 2 --db "$dir/bad.db" \
  --sweep 'serving.max_batch_seqs=64,-1,-2' >/dev/null 2>"$dir/badpoint.err"
[ $? -eq 2 ] || fail "a sweep with bad points did not exit 2"
[ -e "$dir/bad.db" ] && fail "a sweep with bad points wrote a database"
grep -q "(point 1: serving.max_batch_seqs=-1)" "$dir/badpoint.err" && grep -q "(point 2: serving.max_batch_seqs=-2)" "$dir/badpoint.err" ||
  fail "not every bad point was reported: $(cat "$dir/badpoint.err")"

# A different sweep cannot be merged in.
"$tokenfab" sweep "$scenario" --set duration=20s --set warmup=5s --quiet \
  --sweep 'serving.max_batch_seqs=128,256' --db "$dir/other.db" >/dev/null 2>&1 ||
  fail "the other sweep failed"
"$tokenfab" merge "$dir/merged.db" "$dir/other.db" >/dev/null 2>"$dir/bad.err"
[ $? -eq 2 ] || fail "merging a different sweep did not exit 2"
grep -q "only shards of one sweep can be merged" "$dir/bad.err" || fail "merge: $(cat "$dir/bad.err")"
echo "sweep: identical tables from --jobs 1, --jobs 2, two shards merged${mpirun:+, mpirun -n 2} and kill + resume"

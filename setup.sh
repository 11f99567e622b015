#!/usr/bin/env bash
# Installs what is missing (Debian 12), builds tokenfab, then runs the default scenario or the tests.
#
#   ./setup.sh                 build, then run scenarios/default.yaml, writing results/ (the
#                              database results/results.db and its CSV files)
#   ./setup.sh test            build, then run the whole test suite (ctest)
#   ./setup.sh test --sanitize the same in build-asan/, under AddressSanitizer + UBSan
#
# As root, missing Debian packages are installed with apt-get; otherwise the exact apt-get line
# is printed and the script stops. GPU tests (ctest label `gpu`) run only where a GPU answers.
set -euo pipefail
cd "$(dirname "$0")"

mode=run
sanitize=0
for arg in "$@"; do
  case "$arg" in
    run | test) mode=$arg ;;
    --sanitize) sanitize=1 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (expected: run, test, --sanitize)" >&2; exit 2 ;;
  esac
done

packages=(build-essential cmake pkg-config libgsl-dev libsqlite3-dev libyaml-dev libcsv-dev)
# The tests also open the CSV output in a real spreadsheet program (Gnumeric's ssconvert) and run
# a sweep under `mpirun -n 2` (OpenMPI; tokenfab builds its MPI support when it is there).
if [ "$mode" = test ]; then packages+=(gnumeric libopenmpi-dev openmpi-bin chromium libjs-chart.js); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup.sh: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
if ((sanitize)); then
  build=build-asan
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DTF_SANITIZE=ON -DTF_WERROR=ON >/dev/null
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build=build
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTF_WERROR=ON >/dev/null
fi
cmake --build "$build" -j "$jobs"

if [ "$mode" = test ]; then
  exclude=()
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    exclude=(-LE gpu) # no GPU here: GPU tests are skipped, everything else runs
  fi
  ctest --test-dir "$build" --output-on-failure -j "$jobs" "${exclude[@]}"
else
  "$build/cli/tokenfab" run scenarios/default.yaml --csv results
fi

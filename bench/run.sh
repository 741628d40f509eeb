#!/usr/bin/env bash
# Runs DslNet's benchmarks (bench/DslNet.Benchmarks) in Release with 1 and 2 kernel threads.
#   bench/run.sh                              all benchmarks, short in-process job (about a minute)
#   bench/run.sh --filter '*Predict*'         BenchmarkDotNet's own options pass through
#   DSLNET_BENCH_THREADS=1,2,4 bench/run.sh   other thread counts
#   DSLNET_BENCH_NO_BUILD=1 bench/run.sh      run the last Release build as it is
# Results: the console summary and BenchmarkDotNet.Artifacts/results/ (Markdown, CSV, HTML).
# Timings need a quiet machine: anything else running on the two cores shows up in them.
set -euo pipefail
cd "$(dirname "$0")/.."
export DSLNET_BENCH_THREADS="${DSLNET_BENCH_THREADS:-1,2}"
build=()
if [ "${DSLNET_BENCH_NO_BUILD:-0}" = 1 ]; then
    build=(--no-build)
fi
if [ $# -eq 0 ]; then
    set -- --filter '*'
fi
exec dotnet run -c Release "${build[@]}" --project bench/DslNet.Benchmarks -- "$@"

#!/usr/bin/env bash
# StreamRec training throughput of two builds of the sample, side by side: runs A and B alternately N times
# (A B A B ...), each `--epochs E --threads T` on the generated data, and prints every run's FINAL samples_per_s
# and the median, spread and B/A ratio of the medians.
#   bench/compare-builds.sh BEFORE/StreamRec.dll AFTER/StreamRec.dll [runs=5] [epochs=2] [threads=2]
# Build each tree first: dotnet build samples/StreamRec -c Release (in the before and the after checkout).
set -euo pipefail
a="$1"; b="$2"; runs="${3:-5}"; epochs="${4:-2}"; threads="${5:-2}"
declare -a ra rb
for i in $(seq 1 "$runs"); do
    for side in a b; do
        dll="$a"; [ "$side" = b ] && dll="$b"
        value=$(dotnet "$dll" --epochs "$epochs" --threads "$threads" | sed -n 's/^FINAL .*samples_per_s=\([0-9]*\).*/\1/p')
        echo "run $i $side: $value samples/s"
        if [ "$side" = a ]; then ra+=("$value"); else rb+=("$value"); fi
    done
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ma=$(median "${ra[@]}"); mb=$(median "${rb[@]}")
echo "A median $ma (min $(printf '%s\n' "${ra[@]}" | sort -n | head -1), max $(printf '%s\n' "${ra[@]}" | sort -n | tail -1))"
echo "B median $mb (min $(printf '%s\n' "${rb[@]}" | sort -n | head -1), max $(printf '%s\n' "${rb[@]}" | sort -n | tail -1))"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "B/A = %.3f\n", b / a }'

#!/usr/bin/env bash
# Side-by-side A/B of two StreamRec builds: runs them alternately, REPEATS times each, on the same arguments, and
# prints every run's FINAL line and the medians of samples_per_s (training) and predict throughput.
#   bench/streamrec-ab.sh BEFORE_DIR AFTER_DIR [StreamRec options…]
# Each DIR holds a built StreamRec.dll (e.g. a copy of samples/StreamRec/bin/Release/net10.0 from another commit).
#   REPEATS=5 bench/streamrec-ab.sh /tmp/before samples/StreamRec/bin/Release/net10.0 --threads 2
set -euo pipefail
before="$1"; after="$2"; shift 2
repeats="${REPEATS:-5}"
declare -A train predict
for ((i = 1; i <= repeats; i++)); do
    for side in before after; do
        dir="${!side}"
        out=$(dotnet "$dir/StreamRec.dll" "$@" 2>&1 | tr '\r' '\n')
        final=$(grep '^FINAL' <<<"$out")
        echo "$side run $i: $final $(grep '^predict:' <<<"$out" | cut -d' ' -f2) predict/s"
        train[$side]+="$(sed -E 's/.*samples_per_s=([0-9]+).*/\1/' <<<"$final") "
        predict[$side]+="$(grep '^predict:' <<<"$out" | cut -d' ' -f2) "
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for side in before after; do
    echo "$side: median training samples/s $(median <<<"${train[$side]}") (runs: ${train[$side]}), median predict samples/s $(median <<<"${predict[$side]}")"
done

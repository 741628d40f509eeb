#!/usr/bin/env bash
# DslNet against PyTorch on the StreamRec recipe, side by side, on the same data, in one run.
#
#   bench/compare-pytorch.sh            200,000 training rows, 50,000 validation rows, 5 epochs, 1 and 2 threads
#   bench/compare-pytorch.sh --quick    20,000 / 8,192 rows, 2 epochs: a smoke run of the whole pipeline
#   THREADS="1 2" REPEATS=3 bench/compare-pytorch.sh   thread counts; runs per side and thread count (median kept)
#
# What it does:
#   1. installs Debian's python3-torch (1.13) with apt-get when `import torch` fails and libopenblas0-openmp when
#      it is missing (without it torch runs on the reference BLAS)
#      (it runs `apt-get update` first; needs root);
#   2. builds the StreamRec sample and the benchmark project in Release;
#   3. exports the sample's synthetic data set (samples/StreamRec --export DIR: train.csv, val.csv);
#   4. for each thread count, REPEATS times, alternating the sides: trains with the sample (--train/--val/--threads)
#      and with bench/pytorch/streamrec.py (torch.set_num_threads), then measures inference: Predict / model(x) at
#      batch 512 and 8192 over the validation rows (rows/s) and the median latency of a single-row call;
#   5. prints a Markdown table of medians with DslNet/PyTorch ratios (higher is better for DslNet, latency ratio
#      is PyTorch's over DslNet's), and the load average seen before and after.
#
# Both sides train the same function: 128 -> 256 -> 128 -> 64 -> 1, Linear without bias before each BatchNorm1d,
# ReLU, Dropout 0.3, He normal (fan_in) init, BCE with logits, AdamW(lr 1e-3, wd 1e-2) with weight decay on the
# Linear weights only (DslNet's default parameter groups; the PyTorch side builds the same two groups),
# OneCycleLR(max 1e-3, pct 0.3, div 25, final 1e4) per batch, clip_grad_norm 1.0, batch 512 shuffled, 5 epochs.
# Timings need a quiet machine: anything else on the two cores shows up in them (see the load line).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

THREADS="${THREADS:-1 2}"
if [ "$quick" = 1 ]; then
    rows=20000; val_rows=8192; epochs=2; seconds=0.3; calls=500; REPEATS="${REPEATS:-1}"
else
    rows=200000; val_rows=50000; epochs=5; seconds=1.0; calls=3000; REPEATS="${REPEATS:-1}"
fi

# Debian's torch lives in the system interpreter's dist-packages; a pyenv or venv python3 does not see it.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
missing=()
"$python" -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
# Without OpenBLAS, Debian's torch runs its GEMMs on the reference BLAS, several times slower: not a fair opponent.
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || missing+=(libopenblas0-openmp)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt-get)" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
"$python" -c 'import torch, numpy' >/dev/null

echo "== building (Release)" >&2
dotnet build samples/StreamRec -c Release -nologo -v quiet >&2
dotnet build bench/DslNet.Benchmarks -c Release -nologo -v quiet >&2
sample=(dotnet samples/StreamRec/bin/Release/net10.0/StreamRec.dll)
harness=(dotnet bench/DslNet.Benchmarks/bin/Release/net10.0/DslNet.Benchmarks.dll compare-inference)

work=$(mktemp -d "${TMPDIR:-/tmp}/streamrec-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== exporting the data set to $work ($rows training rows, $val_rows validation rows)" >&2
"${sample[@]}" --export "$work" --rows "$rows" --val-rows "$val_rows" >&2
train="$work/train.csv"
val="$work/val.csv"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$work/results.txt"
: > "$results"
for threads in $THREADS; do
    for repeat in $(seq 1 "$REPEATS"); do
        echo "== threads $threads, run $repeat/$REPEATS: DslNet (sample)" >&2
        out=$("${sample[@]}" --train "$train" --val "$val" --threads "$threads" --epochs "$epochs")
        echo "$out" | grep -E '^ +[0-9]+ ' >&2 || true
        final=$(echo "$out" | grep '^FINAL')
        auc=$(echo "$final" | sed -E 's/.*val_auc=([0-9.]+).*/\1/')
        sps=$(echo "$final" | sed -E 's/.*samples_per_s=([0-9.]+).*/\1/')
        inf=$("${harness[@]}" --train "$train" --val "$val" --threads "$threads" --seconds "$seconds" --latency-calls "$calls" | grep '^RESULT')
        echo "$inf train_samples_per_s=$sps val_auc=$auc" >> "$results"

        echo "== threads $threads, run $repeat/$REPEATS: PyTorch" >&2
        OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$python" bench/pytorch/streamrec.py \
            --train "$train" --val "$val" --threads "$threads" --epochs "$epochs" \
            --measure-seconds "$seconds" --latency-calls "$calls" | grep '^RESULT' >> "$results"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$python" - "$results" "$load_before" "$load_after" "$rows" "$val_rows" "$epochs" <<'PY'
import platform, re, statistics, subprocess, sys, datetime
path, load_before, load_after, rows, val_rows, epochs = sys.argv[1:]
runs = {}
for line in open(path):
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    runs.setdefault((kv["impl"], int(kv["threads"])), []).append(kv)
def med(impl, threads, key):
    values = [float(r[key]) for r in runs.get((impl, threads), [])]
    return statistics.median(values) if values else float("nan")
cpu = "unknown CPU"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
import os
torch_version = next((r["torch"] for (impl, _), rs in runs.items() if impl == "pytorch" for r in rs), "?")
print()
print(f"StreamRec, {rows} training rows, {val_rows} validation rows, {epochs} epochs, batch 512; "
      f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores; PyTorch {torch_version} (Debian), "
      f"{subprocess.run(['dotnet', '--version'], capture_output=True, text=True).stdout.strip()} SDK; "
      f"load average before {load_before}, after {load_after}; medians of {max(len(v) for v in runs.values())} run(s)")
print()
print("| threads | metric | DslNet | PyTorch | DslNet/PyTorch |")
print("| ---: | --- | ---: | ---: | ---: |")
metrics = [("train_samples_per_s", "training samples/s", "{:,.0f}", False),
           ("infer512_samples_per_s", "inference samples/s, batch 512", "{:,.0f}", False),
           ("infer8192_samples_per_s", "inference samples/s, batch 8192", "{:,.0f}", False),
           ("latency1_us", "batch-1 latency (µs, median)", "{:,.1f}", True),
           ("val_auc", "final validation AUC", "{:.4f}", None)]
for threads in sorted({t for _, t in runs}):
    for key, name, fmt, lower_is_better in metrics:
        d, p = med("dslnet", threads, key), med("pytorch", threads, key)
        if lower_is_better is None:
            ratio = f"{d - p:+.4f} (diff)"
        elif lower_is_better:
            ratio = f"{p / d:.1f}× lower"
        else:
            ratio = f"{d / p:.2f}×"
        print(f"| {threads} | {name} | {fmt.format(d)} | {fmt.format(p)} | {ratio} |")
PY

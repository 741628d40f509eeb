#!/usr/bin/env bash
# DslNet against PyTorch on samples/FashionMnist's CNN and ResNet, side by side, same data, same recipe, one run.
#
#   bench/compare-pytorch-fashion.sh           all 60,000 / 10,000 images, 3 epochs, both models, 2 threads
#   bench/compare-pytorch-fashion.sh --quick   2,000 / 2,000 images, 1 epoch: a smoke run of the whole pipeline
#   MODELS="cnn" EPOCHS=10 MAX_ROWS=20000 AUGMENT=1 THREADS="1 2" REPEATS=3 bench/compare-pytorch-fashion.sh
#
# What it does:
#   1. installs Debian's python3-torch (1.13) with apt-get when `import torch` fails, libopenblas0-openmp when it is
#      missing (without it torch runs on the reference BLAS), and
#      dataset-fashion-mnist when its files are missing (apt-get update first; needs root);
#   2. builds samples/FashionMnist and bench/SpatialBench in Release, and measures the fp32 FMA peak of the thread
#      count with SpatialBench --fma-peak (wall clock, so on a loaded machine it is the peak of the cores we got);
#   3. for each model, thread count and repeat, alternating the sides: trains with the sample (--model --threads
#      --epochs [--max-rows] [--augment]) and with bench/pytorch/fashion.py (torch.set_num_threads), each printing its
#      test accuracy, training images/s (batch loop only) and inference images/s (batch 256 over the test images);
#   4. prints a Markdown table of medians with DslNet/PyTorch ratios and GFLOP/s against the measured peak, and the
#      load average before and after. With 2 or more epochs it also gives the training rate after the first epoch,
#      from both sides' per-epoch lines: the first epoch carries DslNet's warm-up (the JIT compiling its kernels and
#      generated code; the sample alone trained its first epoch of 12,000 images 10-13 % slower than the
#      next two).
#
# Both sides train the same function with the same recipe (see bench/pytorch/fashion.py's docstring and
# samples/FashionMnist/FashionModels.cs): AdamW(lr 3e-3, wd 1e-2 on rank > 1 parameters), OneCycleLR per batch,
# clip_grad_norm 1.0, batch 128, CrossEntropy; the inputs normalized with the training images' mean and std.
# FLOP counts are the convolutions' and Linear layers' multiply-adds × 2: forward 8.48 MFLOP per image (CNN) and
# 74.3 (ResNet); a training step is forward + input gradient + weight gradient = 3 × forward, less the first
# convolution's input gradient, which neither side computes. These are a direct convolution's FLOPs on both sides:
# DslNet runs its 3×3 stride-1 convolutions with 16+ channels as Winograd F(2×2, 3×3) in training and inference, which
# does 2.25× fewer multiply-adds in its GEMMs, so its figures are effective rates and can come near or above the peak.
# Timings need a quiet machine (see the load line).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

MODELS="${MODELS:-cnn resnet}"
THREADS="${THREADS:-2}"
REPEATS="${REPEATS:-1}"
AUGMENT="${AUGMENT:-0}"
if [ "$quick" = 1 ]; then
    EPOCHS="${EPOCHS:-1}"; MAX_ROWS="${MAX_ROWS:-2000}"; seconds=0.3
else
    EPOCHS="${EPOCHS:-3}"; MAX_ROWS="${MAX_ROWS:-}"; seconds=1.0
fi
data=/usr/share/datasets/fashion-mnist

python=/usr/bin/python3
[ -x "$python" ] || python=python3
missing=()
"$python" -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
# Without OpenBLAS, Debian's torch runs its GEMMs on the reference BLAS, several times slower: not a fair opponent.
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || missing+=(libopenblas0-openmp)
[ -e "$data/train-images-idx3-ubyte.gz" ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt-get)" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

echo "== building (Release)" >&2
dotnet build samples/FashionMnist -c Release -nologo -v quiet >&2
dotnet build bench/SpatialBench -c Release -nologo -v quiet >&2
sample=(dotnet samples/FashionMnist/bin/Release/net10.0/FashionMnist.dll)
peak_tool=(dotnet bench/SpatialBench/bin/Release/net10.0/SpatialBench.dll)

work=$(mktemp -d "${TMPDIR:-/tmp}/fashion-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
results="$work/results.txt"
: > "$results"
limit=()
[ -n "$MAX_ROWS" ] && limit=(--max-rows "$MAX_ROWS")
augment=()
[ "$AUGMENT" = 1 ] && augment=(--augment)

# Each epoch's batch-loop images/s from both sides' per-epoch lines ("epoch 2/3 ... 6,631 samples/s"), joined by ";".
epoch_rates() { sed -nE 's/^epoch [0-9]+.* ([0-9,]+) samples\/s.*/\1/p' | tr -d , | paste -sd';'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for threads in $THREADS; do
    "${peak_tool[@]}" --fma-peak "$threads" | tee -a "$results" >&2
    for model in $MODELS; do
        for repeat in $(seq 1 "$REPEATS"); do
            echo "== $model, threads $threads, run $repeat/$REPEATS: DslNet (samples/FashionMnist)" >&2
            out=$("${sample[@]}" --model "$model" --threads "$threads" --epochs "$EPOCHS" "${limit[@]}" "${augment[@]}")
            echo "$out" | grep -E '^ +[0-9]+ ' >&2 || true
            final=$(echo "$out" | grep '^FINAL')
            echo "$final" >&2
            echo "impl=dslnet threads=$threads ${final#FINAL } epoch_rates=$(epoch_rates <<< "$out")" >> "$results"

            echo "== $model, threads $threads, run $repeat/$REPEATS: PyTorch (bench/pytorch/fashion.py)" >&2
            out=$(OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$python" bench/pytorch/fashion.py --model "$model" \
                --threads "$threads" --epochs "$EPOCHS" "${limit[@]}" "${augment[@]}" --measure-seconds "$seconds")
            echo "$out" >&2
            echo "$(echo "$out" | grep '^RESULT') epoch_rates=$(epoch_rates <<< "$out")" >> "$results"
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$python" - "$results" "$load_before" "$load_after" "$EPOCHS" "${MAX_ROWS:-all}" "$AUGMENT" <<'PY'
import datetime, os, re, statistics, subprocess, sys
path, load_before, load_after, epochs, max_rows, augment = sys.argv[1:]
FORWARD_MFLOP = {"cnn": 8.482, "resnet": 74.313}
FIRST_CONV_MFLOP = 28 * 28 * 9 * 32 * 2 / 1e6          # its input gradient is computed by neither side
runs, peaks = {}, {}
for line in open(path):
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    if line.startswith("FMA_PEAK"):
        peaks[int(kv["threads"])] = float(kv["gflops"])
        continue
    train = kv.get("samples_per_s") or kv.get("train_samples_per_s")
    infer = kv.get("infer_per_s") or kv.get("infer_samples_per_s")
    # After the first epoch: DslNet's warm-up (the JIT compiling its kernels and generated code) left out.
    # Every epoch trains the same rows, so the rate of epochs 2.. together is the harmonic mean of theirs.
    later = [float(r) for r in kv.get("epoch_rates", "").split(";") if r][1:]
    runs.setdefault((kv["model"], int(kv["threads"]), kv["impl"]), []).append(
        {"train": float(train), "later": len(later) / sum(1 / r for r in later) if later else float("nan"),
         "infer": float(infer), "acc": float(kv["test_acc"]), "torch": kv.get("torch")})
def values(model, threads, impl, key):
    return [r[key] for r in runs.get((model, threads, impl), [])]
def med(model, threads, impl, key):
    found = values(model, threads, impl, key)
    return statistics.median(found) if found else float("nan")
def rate(model, threads, impl, key):
    """The median, and the range of the runs when there are several (the spread on a shared machine)."""
    found = values(model, threads, impl, key)
    text = f"{med(model, threads, impl, key):,.0f}"
    return text + (f" ({min(found):,.0f}–{max(found):,.0f})" if len(found) > 1 else "")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
torch_version = next((r["torch"] for rs in runs.values() for r in rs if r["torch"]), "?")
print()
print(f"Fashion-MNIST, {max_rows} training/test images, {epochs} epoch(s), batch 128, augmentation {'on' if augment == '1' else 'off'}; "
      f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores; PyTorch {torch_version} (Debian), "
      f"{subprocess.run(['dotnet', '--version'], capture_output=True, text=True).stdout.strip()} SDK; "
      f"load average before {load_before}, after {load_after}; medians of {max(len(v) for v in runs.values())} run(s)")
print()
print("| model | threads | metric | DslNet, median (range) | PyTorch, median (range) | DslNet/PyTorch (medians) |")
print("| --- | ---: | --- | ---: | ---: | ---: |")
for model, threads in sorted({(m, t) for m, t, _ in runs}):
    peak = peaks.get(threads, float("nan"))
    flops = {"train": 3 * FORWARD_MFLOP[model] - FIRST_CONV_MFLOP, "infer": FORWARD_MFLOP[model]}
    flops["later"] = flops["train"]
    metrics = [("train", "training images/s"), ("later", "training images/s after the first epoch"), ("infer", "inference images/s (batch 256)")]
    for key, name in metrics:
        d, p = med(model, threads, "dslnet", key), med(model, threads, "pytorch", key)
        if d != d and p != p:
            continue  # one epoch: no rate after the first
        print(f"| {model} | {threads} | {name} | {rate(model, threads, 'dslnet', key)} | {rate(model, threads, 'pytorch', key)} "
              f"| {d / p:.2f}× |")
        gd, gp = d * flops[key] / 1e3, p * flops[key] / 1e3
        label = {"train": "train", "later": "train after epoch 1", "infer": "infer"}[key]
        print(f"| {model} | {threads} | {label} GFLOP/s (of {peak:.0f} peak) | {gd:.1f} ({gd / peak:.0%}) | {gp:.1f} ({gp / peak:.0%}) | |")
    d, p = med(model, threads, "dslnet", "acc"), med(model, threads, "pytorch", "acc")
    print(f"| {model} | {threads} | test accuracy | {d:.4f} | {p:.4f} | {100 * (d - p):+.2f} points |")
print()
print("GFLOP/s count a direct convolution's FLOPs on both sides; DslNet runs Winograd 3×3 convolutions in training and "
      "inference, which do fewer, so its figures are effective rates.")
PY

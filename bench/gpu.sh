#!/usr/bin/env bash
# DslNet on a CUDA GPU, everything issue 15's table needs in one run, written to a results file:
#   1. the correctness checks on the real device (fp32, fp16, bf16, loss scaling, cuBLAS against its contract and
#      against the fused kernels, an image model's convolutions through cuBLAS against the direct kernels);
#   2. StreamRec training (device-resident AdamW, clipping, GradScaler in fp16) and inference samples/s at batch
#      512, 4096 and 65536 in fp32, fp16 and bf16 storage; device-resident training has no host round trip per step
#      (the data set on the device, batches gathered by a kernel, the loss read every 100 steps), and the fp32 table
#      also shows it reading every step with host batches (column "train dev per-step") for the difference;
#   3. the cuBLAS/fused GEMM crossover (both paths across batch sizes; the value for DSLNET_GEMM_CROSSOVER_ROWS), for
#      StreamRec and for the Fashion-MNIST ResNet's convolutions (im2col + cuBLAS against the direct kernels, in images);
#   4. a fixed training run per precision scored by test AUC, and PyTorch on the very same rows;
#   5. PyTorch eager (fp32, autocast fp16 with GradScaler, autocast bf16) timings at the same batch sizes;
#   6. OpenCL: `clinfo`, and the OpenCL path when ILGPU finds a usable device;
#   7. the comparison: DslNet/PyTorch per batch and precision, 16-bit vs fp32 at 65536, AUC differences, PASS/FAIL.
#
# The target machine needs no .NET SDK and no internet: build the self-contained runner first, on a machine with the SDK:
#   bash bench/gpu.sh --publish        # → bench/gpu-publish/ and bench/gpu-publish.tar.gz (git-ignored, ~100 MB)
# then, on the GPU machine (with bench/gpu-publish/ or bench/gpu-publish.tar.gz beside this script):
#   bash bench/gpu.sh                  # whole run: about 6 minutes on an H100, under 10 with every timeout spent
# Options: --quick (short timings), --device cuda:1, --results FILE (default bench/gpu-results-<UTC time>.txt),
#          --dry-run (no GPU: the runner from source on ILGPU's CPU accelerator at tiny sizes, to test this script).
# The timeouts add up to under 10 minutes (the longest one command may run on a lent GPU machine); in a dry run they
# are off, the emulator being that slow.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
publish="$here/gpu-publish"

if [[ "${1:-}" == "--publish" ]]; then
  dotnet publish "$here/GpuBench/GpuBench.csproj" -c Release -r linux-x64 --self-contained -o "$publish" -p:TreatWarningsAsErrors=false -p:ErrorOnDuplicatePublishOutputFiles=false
  tar -czf "$here/gpu-publish.tar.gz" -C "$publish" .
  echo "published to $publish and $here/gpu-publish.tar.gz (carry the archive: it is what a GPU machine unpacks)"
  exit 0
fi

device=cuda
quick=()
dry_run=0
results=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --quick) quick=(--quick); shift ;;
    --dry-run) dry_run=1; shift ;;
    --results) results="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# Sizes: the issue's on a GPU; tiny ones on the emulator (it is about a thousand times slower).
batches=512,4096,65536
crossover_batches=512,1024,2048,4096,8192,16384,65536
image_crossover_batches=32,64,128,256,512,1024
auc_rows=262144
if (( dry_run )); then
  device=ilgpu-cpu
  quick=(--quick)
  batches=64,128
  crossover_batches=32,64
  image_crossover_batches=2
  auc_rows=1024
  runner=(dotnet run --project "$here/GpuBench" -c Release --no-launch-profile --)
  timeout() { shift; "$@"; }   # the emulator needs far longer than a GPU
else
  if [[ ! -x "$publish/GpuBench" && -f "$here/gpu-publish.tar.gz" ]]; then
    mkdir -p "$publish" && tar -xzf "$here/gpu-publish.tar.gz" -C "$publish"
  fi
  [[ -x "$publish/GpuBench" ]] || { echo "missing $publish/GpuBench: run 'bash bench/gpu.sh --publish' on a machine with the .NET SDK first" >&2; exit 2; }
  runner=("$publish/GpuBench")
fi

results="${results:-$here/gpu-results-$(date -u +%Y%m%dT%H%MZ).txt}"
exec > >(tee "$results") 2>&1
auc_dir="$(mktemp -d)"
trap 'rm -rf "$auc_dir"' EXIT

echo "bench/gpu.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname), device $device$( (( dry_run )) && echo ' (dry run: emulator, tiny sizes; no number here means anything)')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not found"
ls /usr/lib/x86_64-linux-gnu/libcublas.so* /usr/local/cuda*/lib64/libcublas.so* 2>/dev/null | head -3 || true

status=0
echo; echo "== 1. checks on the device"
timeout 90 "${runner[@]}" "$device" --checks-only || status=$?
echo; echo "== 2. throughput"
timeout 150 "${runner[@]}" "$device" "${quick[@]}" --skip-checks --batches "$batches" || status=$?
echo; echo "== 3. GEMM crossover"
timeout 140 "${runner[@]}" "$device" --quick --crossover --crossover-batches "$crossover_batches" \
  --image-crossover-batches "$image_crossover_batches" || status=$?
echo; echo "== 4. AUC, DslNet"
timeout 80 "${runner[@]}" "$device" --auc "$auc_dir" --auc-rows "$auc_rows" || status=$?

# PyTorch: the first python3 that imports torch (PYTHON overrides).
python=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if [[ -n "$candidate" ]] && "$candidate" -c "import torch" 2>/dev/null; then python="$candidate"; break; fi
done
echo; echo "== 4–5. PyTorch eager: AUC on the same rows, then timings"
if [[ -n "$python" ]]; then
  BATCHES="$batches" AUC_DIR="$auc_dir" QUICK="${#quick[@]}" timeout 100 "$python" "$here/pytorch/gpu_compare.py" || echo "pytorch comparison failed"
else
  echo "PyTorch: not installed on this machine (no python3 imports torch); no side-by-side comparison."
fi

echo; echo "== 6. OpenCL"
if command -v clinfo >/dev/null; then
  clinfo -l || true
  if (( ! dry_run )); then
    timeout 30 "${runner[@]}" opencl --quick --skip-checks --skip-cpu --batches 512,4096 ||
      echo "OpenCL path: did not run (ILGPU needs OpenCL 2.0 generic address spaces; see the error above)"
  fi
else
  echo "clinfo: not installed, so no OpenCL driver was checked (apt-get install clinfo to look)."
fi

echo; echo "== 7. comparison"
python3 "$here/pytorch/gpu_summary.py" "$results" || status=$?
echo "results written to $results"
exit $status

#!/usr/bin/env bash
# DslNet on a CUDA GPU: the correctness checks on the real device (fp32, fp16 and bf16, loss-scaling semantics), then
# StreamRec training and inference throughput at batch 512, 4096 and 65536 in fp32 (beside the CPU path), and on the
# device in fp32, fp16 (with a GradScaler) and bf16 storage; beside PyTorch eager (fp32, and autocast fp16 with its
# GradScaler and autocast bf16) on the same machine when it is present.
#
# The target machine needs no .NET SDK and no internet: build the self-contained runner first, on a machine with the SDK:
#   bash bench/gpu.sh --publish        # → bench/gpu-publish/ (git-ignored, ~100 MB)
# then, on the GPU machine (with bench/gpu-publish/ or bench/gpu-publish.tar.gz beside this script):
#   bash bench/gpu.sh                  # whole run: a few minutes
# Options: --quick (short timings), --device cuda:1.
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
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --quick) extra+=(--quick); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$publish/GpuBench" && -f "$here/gpu-publish.tar.gz" ]]; then
  mkdir -p "$publish" && tar -xzf "$here/gpu-publish.tar.gz" -C "$publish"
fi
[[ -x "$publish/GpuBench" ]] || { echo "missing $publish/GpuBench: run 'bash bench/gpu.sh --publish' on a machine with the .NET SDK first" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not found"

status=0
timeout 540 "$publish/GpuBench" "$device" "${extra[@]}" || status=$?

# PyTorch eager, same model, optimizer, clipping and batch sizes, when this machine has it.
if python3 -c "import torch" 2>/dev/null; then
  timeout 300 python3 - <<'PY' || echo "pytorch comparison failed"
import time, contextlib, torch, torch.nn as nn
dev = "cuda" if torch.cuda.is_available() else "cpu"
print(f"\nPyTorch {torch.__version__} eager on {dev}" + (f" ({torch.cuda.get_device_name()})" if dev == "cuda" else "") + ", samples/s")
def block(i, o): return [nn.Linear(i, o, bias=False), nn.BatchNorm1d(o), nn.ReLU(), nn.Dropout(0.3)]
def model(): return nn.Sequential(*block(128, 256), *block(256, 128), *block(128, 64), nn.Linear(64, 1)).to(dev)
def measure(step, batch, budget=2.0):
    for _ in range(3): step()
    if dev == "cuda": torch.cuda.synchronize()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < budget or calls < 3:
        step(); calls += 1
        if dev == "cuda": torch.cuda.synchronize()
    return calls * batch / (time.perf_counter() - start)
# fp32; autocast fp16 with torch.amp.GradScaler (unscale before clipping); autocast bf16 without scaling. Autocast
# keeps fp32 weights and casts per operation (Linear in 16 bits, BatchNorm and the loss in fp32): DslNet instead stores
# every activation in 16 bits and computes in fp32 registers, so the two are comparable in purpose, not op for op.
modes = [("fp32", None)] + ([("fp16", torch.float16), ("bf16", torch.bfloat16)] if dev == "cuda" else [])
print(f"{'batch':>7}  " + "  ".join(f"{'train ' + n:>12}" for n, _ in modes) + "  " + "  ".join(f"{'predict ' + n:>13}" for n, _ in modes))
for batch in (512, 4096, 65536):
    train_rates, predict_rates = [], []
    for name, dtype in modes:
        torch.manual_seed(0)
        m = model(); opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2); loss_fn = nn.BCEWithLogitsLoss()
        scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16) if dev == "cuda" else None
        x = torch.rand(batch, 128, device=dev) * 2 - 1; y = (x[:, 0] + x[:, 1] > 0).float().unsqueeze(1)
        cast = (lambda: torch.autocast("cuda", dtype=dtype)) if dtype is not None else contextlib.nullcontext
        def train():
            opt.zero_grad(set_to_none=True)
            with cast(): loss = loss_fn(m(x), y)
            if scaler is not None:
                scaler.scale(loss).backward(); scaler.unscale_(opt)
                nn.utils.clip_grad_norm_(m.parameters(), 1.0); scaler.step(opt); scaler.update()
            else:
                loss.backward(); nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
            loss.item()
        m.train(); train_rates.append(measure(train, batch))
        m.eval()
        def predict():
            with torch.no_grad(), cast(): m(x).float().cpu()
        predict_rates.append(measure(predict, batch))
    print(f"{batch:>7}  " + "  ".join(f"{t:>12,.0f}" for t in train_rates) + "  " + "  ".join(f"{p:>13,.0f}" for p in predict_rates))
PY
else
  echo "PyTorch: not installed on this machine (python3 -c 'import torch' failed); no side-by-side comparison."
fi
exit $status

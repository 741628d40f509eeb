#!/usr/bin/env bash
# Data parallelism side by side on one machine: DslNet over MPI (scripts/mpirun.sh, Open MPI) against PyTorch's
# DistributedDataParallel over Gloo (Debian's python3-torch), on the StreamRec recipe, plus the allreduce alone.
#
#   bench/distributed/run.sh            StreamRec 200,000 / 50,000 rows, 5 epochs; allreduce of 74,689 floats
#                                       (the StreamRec gradient buffer), 1 Mi and 8 Mi floats
#   bench/distributed/run.sh --quick    20,000 / 8,192 rows, 2 epochs; StreamRec-sized allreduce only
#
# StreamRec runs (global batch 512, AdamW 1e-3 one-cycle, clip 1.0, 1 thread per rank so 2 ranks fill 2 cores):
#   DslNet  1 process x 2 threads, 2 ranks over shared memory (vader), 2 ranks over TCP
#   PyTorch 1 process x 2 threads (bench/pytorch/streamrec.py), DDP/Gloo 2 ranks (Gloo has TCP only)
# ROWS, VAL_ROWS, EPOCHS, SIZES (allreduce floats) and REPEATS override the sizes.
# Each prints a RESULT/FINAL line: validation AUC, training samples/s (all ranks together) and the share of a step
# spent waiting for communication (DslNet: time in GradientSynchronizer.Finish over training time; PyTorch: 1 − the
# median step time under ddp.no_sync() over the median synchronized step time).
# The overlap rows run DslNet's 2 ranks with the backward overlap off (DSLNET_OVERLAP=0: every gradient handed over
# after backward) and on, with 16,384-float buckets: at the default 1 Mi floats StreamRec's 75k gradients are one
# bucket, which can only start when the whole backward pass is done (DDP's default 25 MiB buckets do the same).
# Timings need a quiet machine: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ "$quick" = 1 ]; then rows=20000; val_rows=8192; epochs=2; sizes="74689"; else rows=200000; val_rows=50000; epochs=5; sizes="74689 1048576 8388608"; fi
rows=${ROWS:-$rows}; val_rows=${VAL_ROWS:-$val_rows}; epochs=${EPOCHS:-$epochs}; sizes=${SIZES:-$sizes}
REPEATS=${REPEATS:-1}   # rounds of every StreamRec run, the sides alternating within each round

python=/usr/bin/python3
"$python" -c 'import torch.distributed' 2>/dev/null || { apt-get update >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch >&2; }
command -v mpirun >/dev/null || { apt-get update >&2; apt-get install -y openmpi-bin >&2; }

echo "== building (Release)" >&2
dotnet build tests/DslNet.Distributed.Worker -c Release -nologo -v quiet >&2
dotnet build samples/StreamRec -c Release -nologo -v quiet >&2
worker=tests/DslNet.Distributed.Worker/bin/Release/net10.0/DslNet.Distributed.Worker.dll
work=$(mktemp -d "${TMPDIR:-/tmp}/dslnet-distributed.XXXXXX")
trap 'rm -rf "$work"' EXIT
dotnet samples/StreamRec/bin/Release/net10.0/StreamRec.dll --export "$work" --rows "$rows" --val-rows "$val_rows" >&2

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== StreamRec, $rows rows, $epochs epochs, $REPEATS round(s)"
for round in $(seq 1 "$REPEATS"); do
    DSLNET_THREADS=2 dotnet "$worker" streamrec "$rows" "$val_rows" "$epochs" | grep FINAL | sed 's/^/dslnet 1 process: /'
    DSLNET_THREADS=1 scripts/mpirun.sh -np 2 -x DSLNET_THREADS dotnet "$worker" streamrec "$rows" "$val_rows" "$epochs" | grep FINAL | sed 's/^/dslnet mpi shm: /'
    OMP_NUM_THREADS=1 "$python" bench/distributed/gloo.py streamrec --train "$work/train.csv" --val "$work/val.csv" --ranks 2 --epochs "$epochs" | grep RESULT
    OMP_NUM_THREADS=2 "$python" bench/pytorch/streamrec.py --train "$work/train.csv" --val "$work/val.csv" --threads 2 --epochs "$epochs" \
        --measure-seconds 0.1 --latency-calls 10 | grep RESULT | sed 's/^/pytorch 1 process: /'
    DSLNET_MPI_TRANSPORT=tcp DSLNET_THREADS=1 scripts/mpirun.sh -np 2 -x DSLNET_THREADS dotnet "$worker" streamrec "$rows" "$val_rows" "$epochs" | grep FINAL | sed 's/^/dslnet mpi tcp: /'
done

echo "== backward overlap: StreamRec on 2 ranks over shared memory, buckets of 16,384 floats (4 buckets), overlap off then on"
for round in $(seq 1 "$REPEATS"); do
    for overlap in 0 1; do
        DSLNET_OVERLAP=$overlap DSLNET_BUCKET=16384 DSLNET_THREADS=1 scripts/mpirun.sh -np 2 -x DSLNET_THREADS -x DSLNET_OVERLAP -x DSLNET_BUCKET \
            dotnet "$worker" streamrec "$rows" "$val_rows" "$epochs" | grep FINAL | sed 's/^/dslnet mpi shm, buckets 16k: /'
    done
done

echo "== allreduce alone, 2 ranks"
for floats in $sizes; do
    scripts/mpirun.sh -np 2 dotnet "$worker" allreduce "$floats" 300 | grep ALLREDUCE | sed 's/^/mpi shm: /'
    DSLNET_MPI_TRANSPORT=tcp scripts/mpirun.sh -np 2 dotnet "$worker" allreduce "$floats" 300 | grep ALLREDUCE | sed 's/^/mpi tcp: /'
    OMP_NUM_THREADS=1 "$python" bench/distributed/gloo.py allreduce --floats "$floats" --iters 300 | grep RESULT
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

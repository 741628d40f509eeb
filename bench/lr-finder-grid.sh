#!/usr/bin/env bash
# Issue 16's LR-finder benchmark: the finder's suggestion (valley) as the one-cycle peak against a grid of peaks
# {1e-4 … 0.1} on the Fashion-MNIST MLP and StreamRec. Writes bench/out/lr-finder/{report.md, *_lr_finder.png}.
# Options pass through (--epochs, --fashion-rows, --streamrec-rows, --task, --seed, --out).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    apt-get update && apt-get install -y dataset-fashion-mnist
fi
dotnet run --project bench/LrFinderGrid -c Release -- "$@"

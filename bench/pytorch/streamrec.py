#!/usr/bin/env python3
"""The StreamRec recipe in PyTorch, for bench/compare-pytorch.sh.

Trains the same model as samples/StreamRec with the same hyperparameters on the same CSV files, then measures
inference. The model: 128 -> 256 -> 128 -> 64 -> 1, each hidden block Linear(bias=False) -> BatchNorm1d -> ReLU ->
Dropout(0.3) (DslNet drops the bias a BatchNorm cancels, DSL0008), the output Linear(64, 1) with a bias. He normal
(fan_in, gain sqrt 2) for the hidden weights, Xavier uniform for the output weight (DslNet's Init.Auto), biases
zero, BatchNorm weight 1 and bias 0. BCEWithLogitsLoss (mean). AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8,
weight_decay 1e-2) with DslNet's default parameter groups: weight decay on the Linear weights only, none on the
BatchNorm parameters and the output bias. OneCycleLR(max_lr 1e-3, total_steps epochs*steps, pct_start 0.3,
div_factor 25, final_div_factor 1e4, cos, cycle_momentum on beta1 0.85..0.95) stepped once per batch;
clip_grad_norm_(1.0); batch 512 shuffled anew each epoch (the last batch dropped only when it has one row, as the
sample does).

Prints one `RESULT key=value ...` line that compare-pytorch.sh reads.
"""
import argparse
import math
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn


def load_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)
    label = header.index("label")
    features = np.delete(data, label, axis=1)
    return np.ascontiguousarray(features), np.ascontiguousarray(data[:, label])


def roc_auc(scores, labels):
    """Mann-Whitney U with average ranks for ties (what sklearn's roc_auc_score gives)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels) >= 0.5
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    i = 0
    n = len(scores)
    while i < n:
        j = i
        while j + 1 < n and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    positives = labels.sum()
    negatives = n - positives
    return (ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives)


def build_model():
    layers = []
    width = 128
    for units in (256, 128, 64):
        linear = nn.Linear(width, units, bias=False)
        nn.init.kaiming_normal_(linear.weight, mode="fan_in", nonlinearity="relu")
        layers += [linear, nn.BatchNorm1d(units, eps=1e-5, momentum=0.1), nn.ReLU(), nn.Dropout(0.3)]
        width = units
    output = nn.Linear(width, 1)
    nn.init.xavier_uniform_(output.weight, gain=1.0)
    nn.init.zeros_(output.bias)
    layers.append(output)
    return nn.Sequential(*layers)


def predict(model, features, batch):
    out = np.empty(len(features), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(features), batch):
            out[start:start + batch] = model(features[start:start + batch]).squeeze(1).numpy()
    return out


def throughput(model, features, batch, seconds):
    """Rows/s of model(features[batch]) over the validation set, repeated for at least `seconds` (after warm-up)."""
    rows = len(features) - len(features) % batch if len(features) >= batch else len(features)
    chunks = [features[s:s + batch] for s in range(0, rows, batch)]
    with torch.inference_mode():
        for c in chunks[:3]:
            model(c)
        done = 0
        start = time.perf_counter()
        while True:
            for c in chunks:
                model(c)
            done += sum(len(c) for c in chunks)
            if time.perf_counter() - start >= seconds:
                break
        return done / (time.perf_counter() - start)


def latency_us(model, features, calls):
    """Median wall time of one model(x) call on a single row, in microseconds."""
    times = []
    with torch.inference_mode():
        for i in range(200):
            model(features[i:i + 1])
        for i in range(calls):
            x = features[i % len(features):i % len(features) + 1]
            t0 = time.perf_counter_ns()
            model(x)
            times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000.0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--measure-seconds", type=float, default=1.0)
    p.add_argument("--latency-calls", type=int, default=3000)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    train_x, train_y = load_csv(args.train)
    val_x, val_y = load_csv(args.val)
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y).unsqueeze(1)
    val_x = torch.from_numpy(val_x)

    model = build_model()
    decay = [m.weight for m in model if isinstance(m, nn.Linear)]
    decay_ids = {id(t) for t in decay}
    no_decay = [t for t in model.parameters() if id(t) not in decay_ids]
    optimizer = torch.optim.AdamW([
        {"params": decay, "weight_decay": 1e-2},
        {"params": no_decay, "weight_decay": 0.0},
    ], lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    rows = len(train_x)
    drop_last = rows % args.batch_size == 1
    steps = rows // args.batch_size if drop_last else math.ceil(rows / args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1e-3, total_steps=args.epochs * steps, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(args.seed)

    samples = 0
    seconds = 0.0
    auc = float("nan")
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(rows, generator=generator)
        loss_sum = 0.0
        start = time.perf_counter()
        for s in range(steps):
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            x, y = train_x[idx], train_y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item()
            samples += len(idx)
        elapsed = time.perf_counter() - start
        seconds += elapsed
        model.eval()
        auc = roc_auc(predict(model, val_x, 8192), val_y)
        print(f"epoch {epoch + 1}  train_loss {loss_sum / steps:.4f}  val_auc {auc:.4f}  "
              f"samples/s {steps * args.batch_size / elapsed:.0f}", file=sys.stderr)

    model.eval()
    infer512 = throughput(model, val_x, 512, args.measure_seconds)
    infer8192 = throughput(model, val_x, 8192, args.measure_seconds)
    latency = latency_us(model, val_x, args.latency_calls)
    print(f"RESULT impl=pytorch threads={args.threads} train_samples_per_s={samples / seconds:.0f} "
          f"infer512_samples_per_s={infer512:.0f} infer8192_samples_per_s={infer8192:.0f} "
          f"latency1_us={latency:.2f} val_auc={auc:.4f} torch={torch.__version__}")


if __name__ == "__main__":
    main()

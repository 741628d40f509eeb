"""PyTorch eager beside DslNet for bench/gpu.sh: the same StreamRec model, optimizer, clipping and batch sizes.

(1) AUC: trains on the rows GpuBench --auc wrote to $AUC_DIR (same hyperparameters, 3 epochs) in fp32, autocast fp16
with a GradScaler and autocast bf16, and scores the same test rows. (2) Timings: training and inference samples/s at
$BATCHES. Every number is also a "RESULT torch ..." line for gpu_summary.py.

Autocast keeps fp32 weights and casts per operation (Linear in 16 bits, BatchNorm and the loss in fp32): DslNet instead
stores every activation in 16 bits and computes in fp32 registers, so the two are comparable in purpose, not op for op.
"""
import contextlib
import os
import time

import numpy as np
import torch
import torch.nn as nn

dev = "cuda" if torch.cuda.is_available() else "cpu"
quick = os.environ.get("QUICK", "0") != "0"
print(f"PyTorch {torch.__version__} eager on {dev}" + (f" ({torch.cuda.get_device_name()})" if dev == "cuda" else ""))


def block(i, o):
    return [nn.Linear(i, o, bias=False), nn.BatchNorm1d(o), nn.ReLU(), nn.Dropout(0.3)]


def model():
    return nn.Sequential(*block(128, 256), *block(256, 128), *block(128, 64), nn.Linear(64, 1)).to(dev)


modes = [("fp32", None)] + ([("fp16", torch.float16), ("bf16", torch.bfloat16)] if dev == "cuda" else [])


def autocast(dtype):
    return (lambda: torch.autocast("cuda", dtype=dtype)) if dtype is not None else contextlib.nullcontext


def grad_scaler(enabled):
    if dev != "cuda":
        return None
    scaler_type = getattr(getattr(torch, "amp", None), "GradScaler", None)
    return scaler_type("cuda", enabled=enabled) if scaler_type is not None else torch.cuda.amp.GradScaler(enabled=enabled)


def train_step(m, opt, loss_fn, scaler, cast, x, y):
    opt.zero_grad(set_to_none=True)
    with cast():
        loss = loss_fn(m(x), y)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    return loss


def roc_auc(scores, labels):
    """Mann-Whitney AUC with average ranks for ties (as DslNet's Metrics.RocAuc)."""
    order = np.argsort(scores, kind="mergesort")
    _, inverse, counts = np.unique(scores[order], return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average = (ends - counts + 1 + ends) / 2.0
    ranks = np.empty(len(scores))
    ranks[order] = average[inverse]
    positive = labels == 1
    n1 = positive.sum()
    n0 = len(labels) - n1
    return (ranks[positive].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def auc_check(directory):
    train_rows, test_rows, batch, epochs = (int(v) for v in open(os.path.join(directory, "meta.txt")).read().split())
    load = lambda name, rows, width: torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(rows, width))
    x_train, y_train = load("x_train.f32", train_rows, 128).to(dev), load("y_train.f32", train_rows, 1).to(dev)
    x_test, y_test = load("x_test.f32", test_rows, 128).to(dev), load("y_test.f32", test_rows, 1).numpy().ravel()
    print(f"\nAUC check: {train_rows:,} training rows, {test_rows:,} test rows, batch {batch}, {epochs} epochs, AdamW 1e-3, clip 1.0")
    for name, dtype in modes:
        torch.manual_seed(0)
        m = model()
        opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2)
        loss_fn = nn.BCEWithLogitsLoss()
        scaler = grad_scaler(dtype == torch.float16)
        cast = autocast(dtype)
        generator = torch.Generator(device="cpu").manual_seed(100)
        m.train()
        for _ in range(epochs):
            order = torch.randperm(train_rows, generator=generator).to(dev)
            for start in range(0, train_rows - batch + 1, batch):
                rows = order[start:start + batch]
                train_step(m, opt, loss_fn, scaler, cast, x_train[rows], y_train[rows])
        m.eval()
        with torch.no_grad(), cast():
            scores = m(x_test).float().cpu().numpy().ravel()
        auc = roc_auc(scores, y_test)
        print(f"  PyTorch {name}: test AUC {auc:.4f}")
        print(f"RESULT torch auc {name} {batch} {auc:.5f}")


def measure(step, batch, budget):
    for _ in range(3):
        step()
    if dev == "cuda":
        torch.cuda.synchronize()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < budget or calls < 3:
        step()
        calls += 1
        if dev == "cuda":
            torch.cuda.synchronize()
    return calls * batch / (time.perf_counter() - start)


def timings(batches):
    budget = 0.3 if quick else 2.0
    print(f"\nPyTorch eager samples/s\n{'batch':>7}  " + "  ".join(f"{'train ' + n:>12}" for n, _ in modes) + "  "
          + "  ".join(f"{'predict ' + n:>13}" for n, _ in modes))
    for batch in batches:
        train_rates, predict_rates = [], []
        for name, dtype in modes:
            torch.manual_seed(0)
            m = model()
            opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2)
            loss_fn = nn.BCEWithLogitsLoss()
            scaler = grad_scaler(dtype == torch.float16)
            cast = autocast(dtype)
            x = torch.rand(batch, 128, device=dev) * 2 - 1
            y = (x[:, 0] + x[:, 1] > 0).float().unsqueeze(1)
            m.train()
            # .item() each step, as DslNet's TrainStep returns the loss to the host each step.
            train_rates.append(measure(lambda: train_step(m, opt, loss_fn, scaler, cast, x, y).item(), batch, budget))
            m.eval()

            def predict():
                with torch.no_grad(), cast():
                    m(x).float().cpu()

            predict_rates.append(measure(predict, batch, budget))
            print(f"RESULT torch train {name} {batch} {train_rates[-1]:.1f}")
            print(f"RESULT torch predict {name} {batch} {predict_rates[-1]:.1f}")
        print(f"{batch:>7}  " + "  ".join(f"{t:>12,.0f}" for t in train_rates) + "  " + "  ".join(f"{p:>13,.0f}" for p in predict_rates))


if os.environ.get("AUC_DIR") and os.path.exists(os.path.join(os.environ["AUC_DIR"], "meta.txt")):
    auc_check(os.environ["AUC_DIR"])
timings([int(b) for b in os.environ.get("BATCHES", "512,4096,65536").split(",")])

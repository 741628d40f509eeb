#!/usr/bin/env python3
"""PyTorch's own data parallelism (DistributedDataParallel over Gloo) beside DslNet's MPI, for bench/distributed/run.sh.

  gloo.py streamrec --train T.csv --val V.csv [--ranks 2 --epochs 5 --threads 1]
      StreamRec with bench/pytorch/streamrec.py's model and recipe, under DDP: DistributedSampler(seed 0), global
      batch 512 (256 per rank), OneCycleLR per step, clip 1.0; validation AUC over all ranks' predictions (each rank
      predicts the whole validation set: the model is the same on every rank). Then the communication share: the
      median step time with gradient sync against the median under ddp.no_sync() (same compute, no allreduce).
  gloo.py allreduce --floats N [--ranks 2 --iters 200]
      torch.distributed.all_reduce of N floats alone (Gloo: TCP over loopback; it has no shared-memory transport).

Prints `RESULT key=value ...` lines.
"""
import argparse
import math
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from streamrec import build_model, load_csv, roc_auc  # noqa: E402


def setup(rank, ranks, port, threads):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=ranks)


def streamrec(rank, args):
    setup(rank, args.ranks, args.port, args.threads)
    torch.manual_seed(0)
    train_x, train_y = load_csv(args.train)
    val_x, val_y = load_csv(args.val)
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y).unsqueeze(1)
    val_x = torch.from_numpy(val_x)

    model = nn.parallel.DistributedDataParallel(build_model())   # broadcasts rank 0's parameters and buffers
    linears = [m for m in model.module if isinstance(m, nn.Linear)]
    decay_ids = {id(m.weight) for m in linears}
    optimizer = torch.optim.AdamW([
        {"params": [m.weight for m in linears], "weight_decay": 1e-2},
        {"params": [p for p in model.parameters() if id(p) not in decay_ids], "weight_decay": 0.0},
    ], lr=1e-3)
    sampler = torch.utils.data.distributed.DistributedSampler(
        torch.utils.data.TensorDataset(train_x, train_y), num_replicas=args.ranks, rank=rank, shuffle=True, seed=0)
    local_batch = 512 // args.ranks
    steps = math.ceil(len(sampler) / local_batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=args.epochs * steps, pct_start=0.3,
                                                    div_factor=25, final_div_factor=1e4)
    loss_fn = nn.BCEWithLogitsLoss()

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()                 # DDP's bucketed allreduce runs during backward
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    seconds = 0.0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        rows = torch.tensor(list(iter(sampler)))
        model.train()
        dist.barrier()
        start = time.perf_counter()
        for b in range(steps):
            index = rows[b * local_batch:(b + 1) * local_batch]
            step(train_x[index], train_y[index])
            scheduler.step()
        seconds += time.perf_counter() - start
    model.eval()
    with torch.inference_mode():
        scores = model.module(val_x).squeeze(1).numpy()
    auc = roc_auc(scores, val_y)

    # The share of a step spent on communication: sync against no_sync, alternating blocks, medians.
    model.train()
    x, y = train_x[:local_batch], train_y[:local_batch]
    synced, local = [], []
    for _ in range(args.share_blocks):
        for timings, sync in ((synced, True), (local, False)):
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(20):
                if sync:
                    step(x, y)
                else:
                    with model.no_sync():
                        step(x, y)
            timings.append((time.perf_counter() - t0) / 20)
    t_sync, t_local = statistics.median(synced), statistics.median(local)
    if rank == 0:
        samples = args.epochs * steps * local_batch * args.ranks
        print(f"RESULT side=pytorch-gloo ranks={args.ranks} threads={args.threads} val_auc={auc:.4f} "
              f"samples_per_s={samples / seconds:.0f} step_ms={t_sync * 1e3:.3f} step_no_sync_ms={t_local * 1e3:.3f} "
              f"comm_share={max(0.0, 1 - t_local / t_sync):.3f}", flush=True)
    dist.destroy_process_group()


def allreduce(rank, args):
    setup(rank, args.ranks, args.port, 1)
    buffer = torch.ones(args.floats)
    for _ in range(20):
        dist.all_reduce(buffer)
    times = []
    for _ in range(args.iters):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(buffer)
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    if rank == 0:
        median = times[len(times) // 2]
        print(f"RESULT side=pytorch-gloo-tcp floats={args.floats} ranks={args.ranks} median_us={median:.1f} "
              f"p10_us={times[len(times) // 10]:.1f} p90_us={times[len(times) * 9 // 10]:.1f} "
              f"algbw_GBps={args.floats * 4 / median / 1e3:.3f}", flush=True)
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["streamrec", "allreduce"])
    p.add_argument("--train")
    p.add_argument("--val")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--floats", type=int, default=74689)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--share-blocks", type=int, default=9)
    p.add_argument("--port", type=int, default=29533)
    args = p.parse_args()
    target = streamrec if args.mode == "streamrec" else allreduce
    mp.spawn(target, args=(args,), nprocs=args.ranks, join=True)


if __name__ == "__main__":
    main()

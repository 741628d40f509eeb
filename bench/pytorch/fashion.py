#!/usr/bin/env python3
"""samples/FashionMnist in PyTorch, for bench/compare-pytorch-fashion.sh.

The same two networks (samples/FashionMnist/FashionModels.cs), the same data handling and the same recipe:
  cnn:    Conv2d(1,32,3,p=1,bias=False) BN ReLU MaxPool2d(2), Conv2d(32,64,3,p=1,bias=False) BN ReLU MaxPool2d(2),
          Flatten, Linear(3136,128) BatchNorm1d ReLU Dropout(0.3), Linear(128,10)                 (421,994 parameters)
  resnet: stem Conv2d(1,32,3,p=1,bias=False) BN ReLU; three torchvision BasicBlocks 32 (stride 1, identity),
          64 (stride 2, 1x1 conv + BN shortcut), 128 (stride 2, 1x1 conv + BN shortcut), each block's last BN weight
          zero (zero_init_residual); AdaptiveAvgPool2d(1), Flatten, Linear(128,10)                   (308,074 parameters)
Initialization as DslNet's Init.Auto: He normal (fan_in) for the weights in front of a ReLU (every 3x3 conv, the hidden
Linear), He normal fan_out for the 1x1 projection shortcuts (torchvision's choice, which DslNet follows there), Xavier
uniform for the output Linear, biases zero, BatchNorm weight 1 and bias 0.
Data: the four IDX files; pixels / 255, normalized with the training images' mean and (population) std; with
--augment, RandomCrop(28, padding=2) with black padding and RandomHorizontalFlip on each training image of a batch.
Recipe: CrossEntropyLoss (mean; label_smoothing 0.1 for the ResNet, as the sample's FashionResNet declares);
AdamW(lr, betas (0.9, 0.999), eps 1e-8) with weight_decay 1e-2 (--weight-decay) on parameters of rank
> 1 and 0 on the rest; OneCycleLR(max_lr, total_steps epochs*steps, pct_start 0.3, div 25, final 1e4, cos,
cycle_momentum 0.85..0.95) per batch; clip_grad_norm_(1.0); batch 128 reshuffled each epoch.

Training speed is the batch loop's images/s (evaluation excluded, as DslNet's Trainer reports it); inference is
model(x) in eval mode under inference_mode at batch 256 over the test images, repeated for at least --measure-seconds.
Prints per-epoch lines (each with its batch loop's images/s) and one `RESULT key=value ...` line that
compare-pytorch-fashion.sh reads.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path, max_rows):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        zero, kind, dims = struct.unpack(">HBB", f.read(4))
        assert zero == 0 and kind == 0x08, f"{path}: not an IDX file of unsigned bytes"
        shape = list(struct.unpack(">" + "I" * dims, f.read(4 * dims)))
        if max_rows is not None:
            shape[0] = min(shape[0], max_rows)
        count = int(np.prod(shape))
        return np.frombuffer(f.read(count), dtype=np.uint8, count=count).reshape(shape)


def load(directory, max_rows):
    def images(name):
        return read_idx(os.path.join(directory, name), max_rows).astype(np.float32)[:, None, :, :] / 255.0

    def labels(name):
        return read_idx(os.path.join(directory, name), max_rows).astype(np.int64)

    train_x, test_x = images("train-images-idx3-ubyte.gz"), images("t10k-images-idx3-ubyte.gz")
    mean = float(train_x.astype(np.float64).mean())
    std = float(train_x.astype(np.float64).std())
    normalize = lambda x: torch.from_numpy(((x - mean) / std).astype(np.float32))
    return (normalize(train_x), torch.from_numpy(labels("train-labels-idx1-ubyte.gz")),
            normalize(test_x), torch.from_numpy(labels("t10k-labels-idx1-ubyte.gz")), (0.0 - mean) / std)


def conv(cin, cout, stride=1):
    c = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
    nn.init.kaiming_normal_(c.weight, mode="fan_in", nonlinearity="relu")
    return c


def bn(c, zero=False, flat=False):
    b = (nn.BatchNorm1d if flat else nn.BatchNorm2d)(c, eps=1e-5, momentum=0.1)
    if zero:
        nn.init.zeros_(b.weight)
    return b


def linear(fin, fout, relu):
    l = nn.Linear(fin, fout)
    if relu:
        nn.init.kaiming_normal_(l.weight, mode="fan_in", nonlinearity="relu")
    else:
        nn.init.xavier_uniform_(l.weight, gain=1.0)
    nn.init.zeros_(l.bias)
    return l


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, stride), bn(cout)
        self.conv2, self.bn2 = conv(cout, cout), bn(cout, zero=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            projection = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
            nn.init.kaiming_normal_(projection.weight, mode="fan_out", nonlinearity="relu")  # as torchvision and DslNet
            self.shortcut = nn.Sequential(projection, bn(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def build(name):
    if name == "cnn":
        return nn.Sequential(
            conv(1, 32), bn(32), nn.ReLU(), nn.MaxPool2d(2),
            conv(32, 64), bn(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), linear(3136, 128, relu=True), bn(128, flat=True), nn.ReLU(), nn.Dropout(0.3),
            linear(128, 10, relu=False))
    return nn.Sequential(
        conv(1, 32), bn(32), nn.ReLU(),
        BasicBlock(32, 32, 1), BasicBlock(32, 64, 2), BasicBlock(64, 128, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), linear(128, 10, relu=False))


def augment(x, padding, black, generator):
    """RandomCrop(28, padding) with black padding, then RandomHorizontalFlip, per image."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (padding,) * 4, value=black)
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).tolist()
    flips = torch.rand(n, generator=generator).lt(0.5).tolist()
    out = torch.empty_like(x)
    for i, ((dy, dx), flip) in enumerate(zip(offsets, flips)):
        crop = padded[i, :, dy:dy + h, dx:dx + w]
        out[i] = crop.flip(-1) if flip else crop
    return out


def accuracy(model, x, y, batch=256):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for s in range(0, len(x), batch):
            correct += (model(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum().item()
    return correct / len(x)


def inference_speed(model, x, seconds, batch=256):
    model.eval()
    chunks = [x[s:s + batch] for s in range(0, len(x), batch)]
    with torch.inference_mode():
        model(chunks[0])
        done, start = 0, time.perf_counter()
        while True:
            for c in chunks:
                model(c)
            done += len(x)
            if time.perf_counter() - start >= seconds:
                return done / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["cnn", "resnet"], default="cnn")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--augment", action="store_true")
    p.add_argument("--max-rows", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--measure-seconds", type=float, default=1.0)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y, test_x, test_y, black = load(args.data, args.max_rows)

    model = build(args.model)
    decay = [t for t in model.parameters() if t.dim() > 1]
    no_decay = [t for t in model.parameters() if t.dim() <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    drop_last = len(train_x) % args.batch_size == 1
    steps = len(train_x) // args.batch_size if drop_last else -(-len(train_x) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps, pct_start=0.3,
                                                   div_factor=25, final_div_factor=1e4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1 if args.model == "resnet" else 0.0)

    train_seconds, trained = 0.0, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        start, total = time.perf_counter(), 0.0
        for b in range(steps):
            rows = order[b * args.batch_size:(b + 1) * args.batch_size]
            x, y = train_x[rows], train_y[rows]
            if args.augment:
                x = augment(x, 2, black, generator)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(rows)
            trained += len(rows)
        epoch_seconds = time.perf_counter() - start
        train_seconds += epoch_seconds
        rows_in_epoch = min(steps * args.batch_size, len(train_x))
        print(f"epoch {epoch}  train_loss {total / rows_in_epoch:.4f}  test_acc {accuracy(model, test_x, test_y):.4f}  "
              f"{rows_in_epoch / epoch_seconds:.0f} samples/s", flush=True)

    acc = accuracy(model, test_x, test_y)
    infer = inference_speed(model, test_x, args.measure_seconds)
    parameters = sum(t.numel() for t in model.parameters())
    print(f"RESULT impl=pytorch model={args.model} threads={args.threads} test_acc={acc:.4f} "
          f"train_samples_per_s={trained / train_seconds:.1f} infer_samples_per_s={infer:.1f} parameters={parameters} "
          f"torch={torch.__version__}")


if __name__ == "__main__":
    main()

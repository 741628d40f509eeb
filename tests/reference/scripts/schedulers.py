"""schedulers.json: the learning rate (and momentum or Adam's beta1) an optimizer holds at each step.

Deterministic: regenerating reproduces the committed numbers. Index i of each list is the value the optimizer
holds when it takes step i; index 0 is the value right after the scheduler is constructed.
"""
import math

import torch
from torch.optim import SGD, Adam
from torch.optim.lr_scheduler import CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR, StepLR

from common import header


def _optimizer(kind, lr):
    parameter = [torch.nn.Parameter(torch.zeros(1))]
    return Adam(parameter, lr=lr) if kind == "adam" else SGD(parameter, lr=lr, momentum=0.9)


def _trace(optimizer, scheduler, steps, keys=("lr",)):
    """The optimizer's hyper-parameters before each of `steps` steps (the scheduler steps between them)."""
    series = {key: [] for key in keys}
    for step in range(steps):
        group = optimizer.param_groups[0]
        for key in keys:
            value = group["betas"][0] if key == "beta1" else group[key]
            series[key].append(value)
        if step < steps - 1:
            optimizer.step()
            scheduler.step()
    return series


def _step():
    optimizer = _optimizer("sgd", 0.1)
    case = {"name": "step", "base_lr": 0.1, "step_size": 30, "gamma": 0.1}
    case.update(_trace(optimizer, StepLR(optimizer, step_size=30, gamma=0.1), 100))
    return case


def _cosine(eta_min):
    optimizer = _optimizer("sgd", 0.1)
    case = {"name": "cosine", "base_lr": 0.1, "t_max": 100, "eta_min": eta_min}
    case.update(_trace(optimizer, CosineAnnealingLR(optimizer, T_max=100, eta_min=eta_min), 101))
    return case


def _warm_restarts():
    optimizer = _optimizer("sgd", 0.1)
    case = {"name": "cosine_warm_restarts", "base_lr": 0.1, "t_0": 10, "t_mult": 2, "eta_min": 1e-6}
    case.update(_trace(optimizer, CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2, eta_min=1e-6), 150))
    return case


def _one_cycle(kind, total_steps, anneal_strategy, three_phase):
    settings = {"max_lr": 0.001, "total_steps": total_steps, "pct_start": 0.3, "div_factor": 25.0,
                "final_div_factor": 10000.0, "anneal_strategy": anneal_strategy, "three_phase": three_phase,
                "base_momentum": 0.85, "max_momentum": 0.95}
    optimizer = _optimizer(kind, 0.1)
    scheduler = OneCycleLR(optimizer, **settings)
    case = {"name": "one_cycle", "optimizer": kind, **settings}
    case.update(_trace(optimizer, scheduler, total_steps, ("lr", "beta1" if kind == "adam" else "momentum")))
    return case


def _warmup_cosine():
    """Linear warm-up from 0 to max_lr over warmup_steps, then cosine down to eta_min at total_steps.

    Written out rather than built from schedulers: PyTorch 1.13's LinearLR refuses a start factor of 0, and a
    LambdaLR multiplies base_lr by a factor, which rounds differently from the formula below (by ~1e-14).
    """
    max_lr, warmup, total, eta_min = 0.001, 50, 400, 0.0

    def lr(step):
        if step < warmup:
            return max_lr * step / warmup
        progress = (step - warmup) / (total - warmup)
        return eta_min + (max_lr - eta_min) * 0.5 * (1 + math.cos(math.pi * progress))

    return {"name": "warmup_cosine", "max_lr": max_lr, "warmup_steps": warmup, "total_steps": total,
            "eta_min": eta_min, "lr": [lr(step) for step in range(total)]}


def generate():
    cases = [_step(), _cosine(0.0), _cosine(1e-5), _warm_restarts()]
    for anneal_strategy in ("cos", "linear"):
        for three_phase in (False, True):
            cases.append(_one_cycle("sgd", 1000, anneal_strategy, three_phase))
    cases.append(_one_cycle("adam", 500, "cos", False))
    cases.append(_warmup_cosine())
    return {**header(), "cases": cases}

"""optimizers.json: torch.optim's parameters after each of six steps, for the same start point and gradients.

Inputs: p0 and the six gradients are torch.randn(10) draws after torch.manual_seed(0), the same for every case.
Everything is float64. Regenerating reproduces the committed numbers (same seed, same draws).
"""
import torch

from common import header, flat

STEPS = 6

CASES = [
    ("sgd", torch.optim.SGD, {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.0, "nesterov": False}),
    ("sgd_momentum", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4, "nesterov": False}),
    ("sgd_nesterov", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4, "nesterov": True}),
    # Adam's weight_decay is L2 (added to the gradient); AdamW's is decoupled (p -= lr * wd * p).
    ("adam_l2", torch.optim.Adam, {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01}),
]


def _case(name, optimizer_type, hyper):
    torch.manual_seed(0)
    p0 = torch.randn(10)
    grads = [torch.randn(10) for _ in range(STEPS)]
    parameter = torch.nn.Parameter(p0.clone())
    optimizer = optimizer_type([parameter], **{k: tuple(v) if k == "betas" else v for k, v in hyper.items()})
    after = []
    for grad in grads:
        parameter.grad = grad.clone()
        optimizer.step()
        after.append(flat(parameter))
    return {"name": name, "hyper": hyper, "p0": flat(p0), "grads": [flat(g) for g in grads],
            "params_after_each_step": after}


def generate():
    return {**header(), "cases": [_case(*case) for case in CASES]}

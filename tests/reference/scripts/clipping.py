"""clipping.json: torch.nn.utils.clip_grad_norm_ and clip_grad_value_ over three gradient tensors of different scales.

Inputs: three float64 gradients of 5, 12 and 7 values (scales about 5, 1 and 0.2, so one tensor dominates the
norm and clipping by value touches only some entries), drawn after torch.manual_seed(0). The committed file's
gradients came from another random stream; generate.py --inputs-from replays them.
"""
import torch

from common import header, flat

MAX_NORM, CLIP_VALUE = 1.0, 0.5


def _parameters(grads):
    parameters = []
    for grad in grads:
        parameter = torch.nn.Parameter(torch.zeros_like(grad))
        parameter.grad = grad.clone()
        parameters.append(parameter)
    return parameters


def generate(inputs=None):
    """inputs: a committed clipping.json whose gradients to use instead of drawing new ones."""
    torch.manual_seed(0)
    grads = [torch.randn(5) * 5, torch.randn(12), torch.randn(7) * 0.2]
    if inputs is not None:
        grads = [torch.tensor(g) for g in inputs["grads"]]

    by_norm = _parameters(grads)
    total_norm = torch.nn.utils.clip_grad_norm_(by_norm, MAX_NORM)
    by_value = _parameters(grads)
    torch.nn.utils.clip_grad_value_(by_value, CLIP_VALUE)

    return {**header(), "grads": [flat(g) for g in grads], "max_norm": MAX_NORM, "total_norm": total_norm.item(),
            "after_clip_norm": [flat(p.grad) for p in by_norm], "clip_value": CLIP_VALUE,
            "after_clip_value": [flat(p.grad) for p in by_value]}

"""label_smoothing.json: CrossEntropy with PyTorch's label_smoothing (mean reduction), its value and input gradient.

One 6x7 batch of logits drawn after torch.manual_seed(0), scaled by 3 so some rows are confident, with fixed class
targets, under four smoothings: 0 (plain cross-entropy), 0.1 (the common choice), 0.35 and 1 (the uniform target).
"""
import torch
import torch.nn.functional as F

from common import header, flat

TARGETS = [0, 6, 3, 3, 1, 5]
SMOOTHINGS = [0.0, 0.1, 0.35, 1.0]


def _case(logits, smoothing):
    logits = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(logits, torch.tensor(TARGETS), label_smoothing=smoothing)
    loss.backward()
    return {"label_smoothing": smoothing, "loss": loss.item(), "dlogits": flat(logits.grad)}


def generate():
    torch.manual_seed(0)
    logits = torch.randn(len(TARGETS), 7) * 3
    return {**header(), "logits": flat(logits), "shape": list(logits.shape), "targets": TARGETS,
            "cases": [_case(logits, smoothing) for smoothing in SMOOTHINGS]}

"""losses.json: BCEWithLogits, CrossEntropy and MSE (all mean-reduced), their values and input gradients, float64.

bce_with_logits has fixed inputs, extreme logits (±100, ±20) included, so its numbers reproduce exactly.
cross_entropy's 4x5 logits and mse's inputs are drawn after torch.manual_seed(0); cross_entropy's class targets
are fixed. The committed file's random inputs came from another stream; generate.py --inputs-from replays them.
"""
import torch
import torch.nn.functional as F

from common import header, flat

BCE_LOGITS = [-100.0, -20.0, -3.0, -0.5, 0.0, 0.5, 3.0, 20.0, 100.0]
BCE_TARGETS = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]
CE_TARGETS = [0, 3, 1, 4]


def _value_and_gradient(loss_function, prediction, *rest):
    prediction = prediction.clone().requires_grad_(True)
    loss = loss_function(prediction, *rest)
    loss.backward()
    return loss.item(), flat(prediction.grad)


def _bce_with_logits():
    logits, targets = torch.tensor(BCE_LOGITS), torch.tensor(BCE_TARGETS)
    loss, gradient = _value_and_gradient(F.binary_cross_entropy_with_logits, logits, targets)
    return {"logits": BCE_LOGITS, "targets": BCE_TARGETS, "loss": loss, "dlogits": gradient}


def _cross_entropy(logits):
    loss, gradient = _value_and_gradient(F.cross_entropy, logits, torch.tensor(CE_TARGETS))
    return {"logits": flat(logits), "shape": list(logits.shape), "targets": CE_TARGETS, "loss": loss,
            "dlogits": gradient}


def _mse(prediction, target):
    loss, gradient = _value_and_gradient(F.mse_loss, prediction, target)
    return {"pred": flat(prediction), "target": flat(target), "loss": loss, "dpred": gradient}


def generate(inputs=None):
    """inputs: a committed losses.json whose random inputs to use instead of drawing new ones."""
    torch.manual_seed(0)
    logits = torch.randn(len(CE_TARGETS), 5)
    prediction, target = torch.randn(6) * 0.5, torch.randn(6)
    if inputs is not None:
        entropy, squared = inputs["cross_entropy"], inputs["mse"]
        logits = torch.tensor(entropy["logits"]).view(entropy["shape"])
        prediction, target = torch.tensor(squared["pred"]), torch.tensor(squared["target"])
    return {**header(), "bce_with_logits": _bce_with_logits(), "cross_entropy": _cross_entropy(logits),
            "mse": _mse(prediction, target)}

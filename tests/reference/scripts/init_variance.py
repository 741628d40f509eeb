"""init_variance.json: the variance of activations through 20 bias-free Linear(512, 512) + ReLU layers, per init.

Statistical (the tests compare orders of magnitude). In float32, as a network would run: the too_large series
overflows float32 in the variance itself after ~16 layers, which the file keeps as Infinity. Inputs: 1000 rows of
N(0, 1) after torch.manual_seed(0), the same rows for every series; the weights continue the same random stream.
Index 0 of each series is the input's variance.
"""
import torch
from torch import nn

from common import header

SETUP = ("20 bias-free Linear(512,512) layers, ReLU after each, 1000 N(0,1) inputs; variance of activations after "
         "each layer (statistical: compare orders of magnitude)")
WIDTH, ROWS, LAYERS = 512, 1000, 20

INITS = {
    "too_small": lambda weight: nn.init.normal_(weight, std=0.01),
    "too_large": lambda weight: nn.init.normal_(weight, std=1.0),
    "he": lambda weight: nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu"),
    "xavier": nn.init.xavier_normal_,
}


def _series(x, init):
    variances = [x.var().item()]
    with torch.no_grad():
        for _ in range(LAYERS):
            layer = nn.Linear(WIDTH, WIDTH, bias=False, dtype=torch.float32)
            init(layer.weight)
            x = torch.relu(layer(x))
            variances.append(x.var().item())
    return variances


def generate():
    torch.manual_seed(0)
    x = torch.randn(ROWS, WIDTH, dtype=torch.float32)
    return {**header(), "setup": SETUP, "variance_per_layer": {name: _series(x, init) for name, init in INITS.items()}}

"""normalization.json: BatchNorm1d/2d, LayerNorm, GroupNorm and InstanceNorm2d, forward and backward, float64.

Every case runs the PyTorch module (train mode unless said otherwise) on x, back-propagates dy, and records y, dx
and the affine gradients. Inputs are drawn after torch.manual_seed(0): features with non-zero means and unequal
scales for the [8, 5] cases (shared by batchnorm1d_train and layernorm), one [2, 8, 3, 3] image batch shared by
the NCHW cases, γ uniform in [0.5, 1.5] and β ~ 0.1·N(0, 1). The committed file's inputs came from another
random stream; generate.py --inputs-from replays them.
"""
import torch
from torch import nn

from common import header, flat

EPS, MOMENTUM = 1e-5, 0.1


def _affine(features):
    return torch.rand(features) + 0.5, torch.randn(features) * 0.1


def _run(module, x, dy, gamma=None, beta=None):
    """Forward and backward through `module`; gamma and beta, when given, are copied into its affine parameters."""
    if gamma is not None:
        with torch.no_grad():
            module.weight.copy_(gamma)
            module.bias.copy_(beta)
    x = x.clone().requires_grad_(True)
    y = module(x)
    y.backward(dy)
    case = {"x": flat(x), "shape": list(x.shape), "dy": flat(dy), "y": flat(y), "dx": flat(x.grad)}
    if gamma is not None:
        case.update({"dgamma": flat(module.weight.grad), "dbeta": flat(module.bias.grad)})
    return case


def _batchnorm1d(x, dy, gamma, beta, eval_x):
    module = nn.BatchNorm1d(x.shape[1], eps=EPS, momentum=MOMENTUM)
    train = _run(module, x, dy, gamma, beta)
    train.update({"gamma": flat(gamma), "beta": flat(beta), "eps": EPS, "momentum": MOMENTUM,
                  "running_mean_after": flat(module.running_mean), "running_var_after": flat(module.running_var),
                  "note": "running_var uses the unbiased batch variance; normalization uses the biased one"})
    module.eval()
    with torch.no_grad():
        evaluation = {"x": flat(eval_x), "y": flat(module(eval_x))}
    return train, evaluation


def _with_affine(module, x, dy, gamma, beta, groups=None):
    case = _run(module, x, dy, gamma, beta)
    if groups is not None:
        case["groups"] = groups
    case.update({"gamma": flat(gamma), "beta": flat(beta), "eps": EPS})
    return case


def _draw():
    torch.manual_seed(0)
    drawn = {"features": torch.randn(8, 5) * 2 + 1, "features_dy": torch.randn(8, 5), "eval_features": torch.randn(3, 5)}
    drawn["batch_gamma"], drawn["batch_beta"] = _affine(5)
    drawn["layer_gamma"], drawn["layer_beta"] = _affine(5)
    drawn["images"], drawn["images_dy"] = torch.randn(2, 8, 3, 3), torch.randn(2, 8, 3, 3)
    drawn["channels_gamma"], drawn["channels_beta"] = _affine(8)
    drawn["flat_features"], drawn["flat_features_dy"] = torch.randn(4, 8), torch.randn(4, 8)
    return drawn


def _committed(document):
    """The same inputs, taken from a committed normalization.json."""
    def tensor(case, key):
        return torch.tensor(document[case][key]).view(document[case]["shape"])

    batch, layer, images = document["batchnorm1d_train"], document["layernorm"], document["groupnorm_nchw"]
    return {"features": tensor("batchnorm1d_train", "x"), "features_dy": tensor("batchnorm1d_train", "dy"),
            "eval_features": torch.tensor(document["batchnorm1d_eval"]["x"]).view(-1, batch["shape"][1]),
            "batch_gamma": torch.tensor(batch["gamma"]), "batch_beta": torch.tensor(batch["beta"]),
            "layer_gamma": torch.tensor(layer["gamma"]), "layer_beta": torch.tensor(layer["beta"]),
            "images": tensor("groupnorm_nchw", "x"), "images_dy": tensor("groupnorm_nchw", "dy"),
            "channels_gamma": torch.tensor(images["gamma"]), "channels_beta": torch.tensor(images["beta"]),
            "flat_features": tensor("groupnorm_features", "x"), "flat_features_dy": tensor("groupnorm_features", "dy")}


def generate(inputs=None):
    """inputs: a committed normalization.json whose inputs to use instead of drawing new ones."""
    d = _draw() if inputs is None else _committed(inputs)
    batchnorm1d_train, batchnorm1d_eval = _batchnorm1d(d["features"], d["features_dy"], d["batch_gamma"],
                                                       d["batch_beta"], d["eval_features"])
    images, images_dy, gamma, beta = d["images"], d["images_dy"], d["channels_gamma"], d["channels_beta"]
    batchnorm2d = nn.BatchNorm2d(8, eps=EPS, momentum=MOMENTUM)
    batchnorm2d_train = _with_affine(batchnorm2d, images, images_dy, gamma, beta)
    batchnorm2d_train.update({"running_mean_after": flat(batchnorm2d.running_mean),
                              "running_var_after": flat(batchnorm2d.running_var)})
    return {
        **header(),
        "batchnorm1d_train": batchnorm1d_train,
        "batchnorm1d_eval": batchnorm1d_eval,
        "layernorm": _with_affine(nn.LayerNorm(5, eps=EPS), d["features"], d["features_dy"], d["layer_gamma"],
                                  d["layer_beta"]),
        "groupnorm_nchw": _with_affine(nn.GroupNorm(4, 8, eps=EPS), images, images_dy, gamma, beta, groups=4),
        "groupnorm_features": _with_affine(nn.GroupNorm(4, 8, eps=EPS), d["flat_features"], d["flat_features_dy"],
                                           gamma, beta, groups=4),
        "instancenorm2d": _with_affine(nn.InstanceNorm2d(8, eps=EPS, affine=True), images, images_dy, gamma, beta),
        "batchnorm2d_train": batchnorm2d_train,
    }

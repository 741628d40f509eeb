"""spatial_layers.json: forward and backward of every image layer on one NCHW batch, float64.

torch.manual_seed(3), then x ~ N(0, 1) of shape [2, 3, 6, 5], shared by every layer but GroupNorm (which draws its
own 4-channel batch). Then, layer by layer in the file's order: the module (PyTorch's default init, or drawn
affine parameters and running statistics where said), then dy ~ N(0, 1) shaped like the output. Each entry keeps
y = layer(x), dx, and the parameters' gradients. Regenerating reproduces the committed numbers.
"""
import torch
from torch import nn

from common import header, flat

LAYOUT = "NCHW row-major; conv weight [out, in/groups, kH, kW]"
INPUT_SHAPE = (2, 3, 6, 5)

CONVOLUTIONS = [
    {"name": "k3_pad1", "out": 4, "k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1, "bias": True},
    {"name": "k3_stride2_nopad", "out": 5, "k": 3, "stride": 2, "padding": 0, "dilation": 1, "groups": 1, "bias": False},
    {"name": "k1_projection_stride2", "out": 6, "k": 1, "stride": 2, "padding": 0, "dilation": 1, "groups": 1,
     "bias": False},
    {"name": "k3_dilation2_pad2", "out": 4, "k": 3, "stride": 1, "padding": 2, "dilation": 2, "groups": 1, "bias": True},
    {"name": "depthwise_k3_pad1", "out": 3, "k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 3, "bias": True},
    {"name": "k5_pad2_stride2", "out": 2, "k": 5, "stride": 2, "padding": 2, "dilation": 1, "groups": 1, "bias": True},
]

POOLS = [
    ("maxpool_k2_s2", lambda: nn.MaxPool2d(kernel_size=2, stride=2)),
    ("maxpool_k3_s2_p1", lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
    ("avgpool_k2_s2", lambda: nn.AvgPool2d(kernel_size=2, stride=2)),
    ("avgpool_k3_s1_p1_include_pad", lambda: nn.AvgPool2d(kernel_size=3, stride=1, padding=1)),
    ("global_avgpool", lambda: nn.AdaptiveAvgPool2d(1)),
]


def _run(config, module, x, extra_before=None):
    """config, [extra_before], shapes, x, dy, y, dx, then each parameter and its gradient, in that order."""
    x = x.clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn(y.shape)
    y.backward(dy)
    entry = {"config": config, **(extra_before or {}), "input_shape": list(x.shape), "output_shape": list(y.shape),
             "x": flat(x), "dy": flat(dy), "y": flat(y), "dx": flat(x.grad)}
    for name, parameter in module.named_parameters():
        entry[name] = flat(parameter)
        entry["d" + name] = flat(parameter.grad)
    return entry


def _draw_affine(module):
    with torch.no_grad():
        module.weight.copy_(torch.rand(module.weight.shape) + 0.5)
        module.bias.copy_(torch.randn(module.bias.shape) * 0.1)
    return module


def _batchnorm(x):
    module = _draw_affine(nn.BatchNorm2d(x.shape[1], eps=1e-5, momentum=0.1))
    with torch.no_grad():
        module.running_mean.copy_(torch.randn(x.shape[1]) * 0.1)
        module.running_var.copy_(torch.rand(x.shape[1]) + 0.5)
    before = {"before_running_mean": flat(module.running_mean), "before_running_var": flat(module.running_var)}
    train = _run("BatchNorm2d(C, eps=1e-5, momentum=0.1), train mode; running_var updated with the unbiased batch "
                 "variance", module, x, before)
    train.update({"after_running_mean": flat(module.running_mean), "after_running_var": flat(module.running_var)})
    module.eval()
    # No zero_grad here: the committed file's eval dweight/dbias hold the train step's gradients plus the eval
    # step's (PyTorch accumulates), and a test of them must subtract the train entry's dweight/dbias.
    evaluation = _run("the same module in eval mode, after the train step above", module, x)
    evaluation.update({"after_running_mean": flat(module.running_mean), "after_running_var": flat(module.running_var)})
    return train, evaluation


def generate():
    torch.manual_seed(3)
    x = torch.randn(INPUT_SHAPE)
    channels = INPUT_SHAPE[1]
    layers = {}
    for config in CONVOLUTIONS:
        module = nn.Conv2d(channels, config["out"], config["k"], stride=config["stride"], padding=config["padding"],
                           dilation=config["dilation"], groups=config["groups"], bias=config["bias"])
        layers["conv2d_" + config["name"]] = _run(config, module, x)
    for name, make in POOLS:
        module = make()
        layers[name] = _run(repr(module), module, x)
    layers["batchnorm2d_train"], layers["batchnorm2d_eval"] = _batchnorm(x)
    layers["instancenorm2d_affine"] = _run("InstanceNorm2d(C, affine=True, track_running_stats=False)",
                                           _draw_affine(nn.InstanceNorm2d(channels, affine=True)), x)
    layers["instancenorm2d_plain"] = _run("InstanceNorm2d(C) (no affine)", nn.InstanceNorm2d(channels), x)
    four_channels = torch.randn(INPUT_SHAPE[0], 4, *INPUT_SHAPE[2:])
    layers["groupnorm_channels"] = _run("GroupNorm(2, 4) over NCHW: groups of channels, statistics over (C/G, H, W)",
                                        _draw_affine(nn.GroupNorm(2, 4)), four_channels)
    layers["layernorm_chw"] = _run("LayerNorm([C, H, W]) (elementwise affine over C, H, W)",
                                   _draw_affine(nn.LayerNorm(list(INPUT_SHAPE[1:]))), x)
    layers["flatten"] = _run("Flatten(): NCHW -> N x (C*H*W), channel-major", nn.Flatten(), x)
    return {**header(), "layout": LAYOUT, "layers": layers}

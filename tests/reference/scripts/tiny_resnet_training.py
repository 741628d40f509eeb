"""tiny_resnet_training.json: 14 steps of a two-block ResNet trained by PyTorch (image_training's recipe), seed 5.

Regenerating reproduces the committed numbers.
"""
import torch
from torch import nn

import image_training

ARCHITECTURE = ("stem Conv2d(1,4,3,p=1,bias=False) BN ReLU; BasicBlock(4->4, stride 1, identity shortcut); "
                "BasicBlock(4->6, stride 2, shortcut Conv2d 1x1 stride 2 + BN); AdaptiveAvgPool2d(1) Flatten "
                "Linear(6,3); input 1x8x8; BasicBlock = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)) with "
                "bn2.weight initialised to 0; convs kaiming_normal fan_out relu; state_dict keys: 0 stem conv, "
                "1 stem bn, 3/4 blocks (conv1,bn1,conv2,bn2,shortcut.0,shortcut.1), 7 linear")
STEPS, BATCH = 14, 6


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = nn.Sequential()   # identity
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(outputs))

    def forward(self, x):
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))) + self.shortcut(x))


def _model():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        BasicBlock(4, 4, 1), BasicBlock(4, 6, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    for module in model.modules():
        if isinstance(module, BasicBlock):
            nn.init.zeros_(module.bn2.weight)   # each block starts as its shortcut
    return model


def generate():
    torch.manual_seed(5)
    return image_training.train(_model(), ARCHITECTURE, STEPS, BATCH)

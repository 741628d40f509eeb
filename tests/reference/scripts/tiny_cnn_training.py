"""tiny_cnn_training.json: 15 steps of a small CNN trained by PyTorch (image_training's recipe), from seed 4.

Regenerating reproduces the committed numbers.
"""
import torch
from torch import nn

import image_training

ARCHITECTURE = ("Conv2d(1,4,3,padding=1,bias=False) BatchNorm2d(4) ReLU MaxPool2d(2) Conv2d(4,8,3,padding=1,bias=False) "
                "BatchNorm2d(8) ReLU AdaptiveAvgPool2d(1) Flatten Linear(8,3); input 1x8x8; PyTorch default init "
                "(kaiming_uniform a=sqrt(5)), exported in initial_state")
STEPS, BATCH = 15, 8


def generate():
    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    return image_training.train(model, ARCHITECTURE, STEPS, BATCH)

#!/usr/bin/env python3
"""PyTorch's SiLU (nn.SiLU / F.silu) and its autograd derivative in float32, for tests/DslNet.Kernels.Tests/SiluReferenceTests.cs.

    /usr/bin/python3 tests/reference/scripts/silu.py   # writes tests/reference/silu.json (Debian's python3-torch)
"""
import json
import pathlib

import torch

x = torch.cat([torch.linspace(-20, 20, 401), torch.tensor([0.0, 1e-6, -1e-6, -1.2785, 1.2785, 40.0, -40.0, 88.0, -88.0])])
x = x.to(torch.float32).requires_grad_(True)
y = torch.nn.functional.silu(x)
(dy_dx,) = torch.autograd.grad(y.sum(), x)
reference = {
    "generator": "PyTorch " + torch.__version__ + " (tests/reference/scripts/silu.py)",
    "x": [float(v) for v in x.detach().tolist()],
    "y": [float(v) for v in y.detach().tolist()],
    "dy_dx": [float(v) for v in dy_dx.tolist()],
}
path = pathlib.Path(__file__).resolve().parent.parent / "silu.json"
path.write_text(json.dumps(reference) + "\n")
print("wrote", path)

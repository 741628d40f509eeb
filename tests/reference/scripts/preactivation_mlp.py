#!/usr/bin/env python3
"""PyTorch reference for the pre-activation residual MLP (tests/DslNet.EndToEnd.Tests/Models/PreActivationMlp.cs).

Pre-activation blocks (norm → activation → Linear inside the branch): BatchNorm + ReLU around an identity skip,
LayerNorm + GELU around a projection skip (a bias-free Linear on the shortcut), GroupNorm + tanh around an identity
skip, and a BatchNorm + ReLU head; 20 steps of AdamW + OneCycleLR + gradient clipping by norm, as in
residual_mlp_training.json. Run from the repository root:

    /usr/bin/python3 tests/reference/scripts/preactivation_mlp.py   # writes tests/reference/preactivation_mlp_training.json

Needs Debian's python3-torch (apt-get install -y python3-torch).
"""
import json
import pathlib

import torch
from torch import nn

torch.manual_seed(4321)
torch.set_num_threads(1)


class PreActivationMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(6, 8)
        self.unit1_bn = nn.BatchNorm1d(8)
        self.unit1_fc = nn.Linear(8, 8)
        self.down_ln = nn.LayerNorm(8)
        self.down_fc = nn.Linear(8, 6)
        self.down_proj = nn.Linear(8, 6, bias=False)
        self.unit3_gn = nn.GroupNorm(2, 6)
        self.unit3_fc = nn.Linear(6, 6, bias=False)
        self.head_bn = nn.BatchNorm1d(6)
        self.head_fc = nn.Linear(6, 1)

    def forward(self, x):
        stem = self.stem(x)
        unit1 = self.unit1_fc(torch.relu(self.unit1_bn(stem))) + stem                              # identity skip
        down = self.down_fc(nn.functional.gelu(self.down_ln(unit1))) + self.down_proj(unit1)       # projection skip
        unit3 = self.unit3_fc(torch.tanh(self.unit3_gn(down))) + down                              # identity skip
        return self.head_fc(torch.relu(self.head_bn(unit3)))


def values(tensor):
    return [float(v) for v in tensor.detach().reshape(-1).tolist()]


def state(model):
    return {key: values(value) for key, value in model.state_dict().items() if not key.endswith("num_batches_tracked")}


def main():
    model = PreActivationMlp()
    initial = state(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=20, pct_start=0.3)
    loss_function = nn.BCEWithLogitsLoss()

    batches, losses, norms, rates = [], [], [], []
    model.train()
    for _ in range(20):
        x = torch.randn(16, 6)
        y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] > 0).float().unsqueeze(1)
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        batches.append({"x": values(x), "y": values(y)})
        losses.append(float(loss))
        norms.append(float(norm))

    model.eval()
    eval_x = torch.randn(10, 6)
    with torch.no_grad():
        eval_logits = model(eval_x)

    reference = {
        "generator": "PyTorch " + torch.__version__ + " (tests/reference/scripts/preactivation_mlp.py)",
        "hidden": False,
        "architecture": "stem Linear(6,8); unit1 Linear(8,8)(relu(bn(stem))) + stem; "
                        "down Linear(8,6)(gelu(ln(unit1))) + Linear(8,6,no bias)(unit1); "
                        "unit3 Linear(6,6,no bias)(tanh(GroupNorm(2,6)(down))) + down; head Linear(6,1)(relu(bn(unit3))); "
                        "BCEWithLogits; AdamW(lr 1e-2, wd 1e-2 on all) + OneCycleLR(max 1e-2, 20 steps, pct 0.3) + clip_grad_norm_(1.0)",
        "initial_state": initial,
        "batches": batches,
        "loss_per_step": losses,
        "grad_norm_before_clip_per_step": norms,
        "lr_per_step": rates,
        "final_state": state(model),
        "eval_x": values(eval_x),
        "eval_logits": values(eval_logits),
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "preactivation_mlp_training.json"
    path.write_text(json.dumps(reference, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()

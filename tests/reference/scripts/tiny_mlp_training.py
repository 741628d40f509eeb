"""tiny_mlp_training.json: 20 steps of a small MLP trained by PyTorch, the recipe in ARCHITECTURE, float64.

torch.manual_seed(1), then the model (PyTorch's default init), then per batch 16 rows of N(0, 1) features and
coin-flip labels (uniform > 0.5), then 5 evaluation rows. Regenerating reproduces the committed numbers.
"""
import torch
from torch import nn

from common import header, flat, state

ARCHITECTURE = ("Linear(4,8) BatchNorm1d(8) ReLU Linear(8,4) ReLU Linear(4,1); BCEWithLogits; AdamW(lr=1e-2, "
                "wd=1e-2, betas=(0.9,0.999), eps=1e-8); OneCycleLR(max_lr=1e-2, total_steps=20, pct_start=0.3) "
                "stepped per batch; clip_grad_norm 1.0 before optimizer step")
WEIGHT_LAYOUT = ("PyTorch state_dict: Linear weight is [out, in] row-major; BatchNorm has weight, bias, running_mean, "
                 "running_var, num_batches_tracked")
STEPS, BATCH, INPUTS, EVAL_ROWS = 20, 16, 4, 5


def generate():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(INPUTS, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(),
                          nn.Linear(4, 1))
    initial_state = state(model)
    batches = []
    for _ in range(STEPS):
        x = torch.randn(BATCH, INPUTS)
        batches.append((x, (torch.rand(BATCH) > 0.5).to(x.dtype)))
    eval_x = torch.randn(EVAL_ROWS, INPUTS)

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=STEPS, pct_start=0.3)
    losses, norms, rates = [], [], []
    model.train()
    for x, y in batches:
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())

    model.eval()
    with torch.no_grad():
        eval_logits = flat(model(eval_x))
    return {**header(), "architecture": ARCHITECTURE, "weight_layout": WEIGHT_LAYOUT, "initial_state": initial_state,
            "batches": [{"x": flat(x), "y": flat(y)} for x, y in batches], "loss_per_step": losses,
            "grad_norm_before_clip_per_step": norms, "lr_per_step": rates, "final_state": state(model),
            "eval_x": flat(eval_x), "eval_logits": eval_logits}

"""The training recipe shared by tiny_cnn_training.json and tiny_resnet_training.json.

After the model is built (right after its seed), each step draws a batch of N(0, 1) 1x8x8 images and uniform class
indices in [0, 3); then 4 evaluation images. The model trains for one pass over these batches and evaluates in
eval mode. Everything is float64.
"""
import torch
from torch import nn

from common import header, flat, state

LAYOUT = "NCHW row-major; conv weight [out, in/groups, kH, kW]"
CLASSES, EVAL_IMAGES, IMAGE = 3, 4, (1, 8, 8)


def recipe(steps, batch):
    return ("CrossEntropy (mean); AdamW(lr=0.01, betas=(0.9,0.999), eps=1e-8) with weight_decay=0.01 on parameters "
            "of rank > 1 (conv and linear weights) and 0 on the rest; OneCycleLR(max_lr=0.01, "
            f"total_steps={steps}, pct_start=0.3, cos, beta1 cycled 0.85..0.95) stepped per batch; "
            f"clip_grad_norm_(all parameters, 1.0) before the step; batch {batch}, {steps} steps, "
            "targets are class indices")


def _optimizer(model):
    decayed = [p for p in model.parameters() if p.dim() > 1]
    others = [p for p in model.parameters() if p.dim() <= 1]
    return torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": others, "weight_decay": 0.0}],
                             lr=0.01, betas=(0.9, 0.999), eps=1e-8)


def train(model, architecture, steps, batch):
    """Draws the data from the current random stream, trains `model`, and returns the file's document."""
    initial_state = state(model, skip_batch_counter=True)
    batches = [(torch.randn(batch, *IMAGE), torch.randint(0, CLASSES, (batch,))) for _ in range(steps)]
    eval_x = torch.randn(EVAL_IMAGES, *IMAGE)

    optimizer = _optimizer(model)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=steps, pct_start=0.3,
                                                    anneal_strategy="cos", cycle_momentum=True,
                                                    base_momentum=0.85, max_momentum=0.95)
    losses, norms = [], []
    model.train()
    for x, y in batches:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())

    model.eval()
    with torch.no_grad():
        eval_logits = flat(model(eval_x))
    return {**header(), "layout": LAYOUT, "architecture": architecture, "recipe": recipe(steps, batch),
            "initial_state": initial_state, "batches": [{"x": flat(x), "y": flat(y)} for x, y in batches],
            "loss_per_step": losses, "grad_norm_before_clip_per_step": norms,
            "final_state": state(model, skip_batch_counter=True), "eval_x": flat(eval_x), "eval_logits": eval_logits}

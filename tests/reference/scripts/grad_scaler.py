"""grad_scaler.json: torch.cuda.amp.GradScaler's scale, skip and growth sequence over a fixed pattern of overflows.

GradScaler is CUDA-only in PyTorch 1.13 (on a CPU-only build it disables itself, and its two kernels,
_amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_, have no CPU implementation). So the class's own
Python logic (unscale_, step's skip decision, update) runs on CPU here, with those two kernels written out in
Python line for line from their CUDA versions (aten/src/ATen/native/cuda/AmpKernels.cu). The overflow pattern is
input; the scale used at each step, whether the optimizer stepped, and the final scale are GradScaler's output.
Deterministic: regenerating reproduces the committed numbers.
"""
import torch
from torch.cuda.amp import grad_scaler as cuda_grad_scaler

from common import header

FOUND_INF = [False, False, True, False, False, False, False, True, True, False, False, False, False, False, False]
INIT_SCALE, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL = 65536.0, 2.0, 0.5, 3


def _non_finite_check_and_unscale(grads, found_inf, inv_scale):
    """AmpKernels.cu: multiply every gradient by inv_scale; set found_inf to 1 if any value is inf or NaN."""
    for grad in grads:
        if not torch.isfinite(grad).all():
            found_inf.fill_(1.0)
        grad.mul_(inv_scale)


def _update_scale(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval):
    """AmpKernels.cu's amp_update_scale_cuda_kernel: back off and reset on overflow; grow after growth_interval clean steps."""
    if found_inf.item():
        scale.mul_(backoff_factor)
        growth_tracker.fill_(0)
    else:
        successful = growth_tracker.item() + 1
        if successful == growth_interval:
            scale.mul_(growth_factor)
            growth_tracker.fill_(0)
        else:
            growth_tracker.fill_(successful)
    return scale


class _CpuReplicator:
    """_MultiDeviceReplicator without its CUDA assertion: every tensor here already lives on the CPU."""

    def __init__(self, master):
        self.master = master
        self._per_device_tensors = {}

    def get(self, device):
        return self._per_device_tensors.setdefault(device, self.master)


def _cpu_grad_scaler():
    torch._amp_foreach_non_finite_check_and_unscale_ = _non_finite_check_and_unscale
    torch._amp_update_scale_ = _update_scale
    cuda_grad_scaler._MultiDeviceReplicator = _CpuReplicator
    cuda_grad_scaler.amp_definitely_not_available = lambda: False   # else the constructor disables the scaler
    scaler = torch.cuda.amp.GradScaler(init_scale=INIT_SCALE, growth_factor=GROWTH_FACTOR,
                                       backoff_factor=BACKOFF_FACTOR, growth_interval=GROWTH_INTERVAL)
    scaler._lazy_init_scale_growth_tracker(torch.device("cpu"))   # what the first scale() call does on CUDA
    return scaler


def generate():
    torch.manual_seed(0)
    parameter = torch.nn.Parameter(torch.randn(19, dtype=torch.float32))
    optimizer = torch.optim.SGD([parameter], lr=0.01)
    scaler = _cpu_grad_scaler()
    found_inf, scale_used, stepped = [], [], []
    for overflow in FOUND_INF:
        scale = scaler.get_scale()
        scale_used.append(scale)
        parameter.grad = (torch.rand(19, dtype=torch.float32) - 0.5) * scale   # what a scaled backward pass leaves
        if overflow:
            parameter.grad[int(torch.randint(19, ()))] = float("inf")
        before = parameter.detach().clone()
        scaler.step(optimizer)
        stepped.append(not torch.equal(before, parameter.detach()))
        found = scaler._per_optimizer_states[id(optimizer)]["found_inf_per_device"].values()
        found_inf.append(sum(v.item() for v in found) > 0)   # what GradScaler saw, not the pattern it was given
        scaler.update()
    return {**header(), "init_scale": INIT_SCALE, "growth_factor": GROWTH_FACTOR, "backoff_factor": BACKOFF_FACTOR,
            "growth_interval": GROWTH_INTERVAL, "found_inf": found_inf, "scale_used_at_step": scale_used,
            "optimizer_stepped": stepped, "final_scale": scaler.get_scale()}

"""What every reference file shares: the header, float64 by default, flat row-major lists, and the writer.

The committed files were written by Python's json module with indent=1 and no trailing newline; writing the same
way keeps a regenerated file byte-identical wherever its numbers are.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)


def header():
    """The two fields every file starts with. "hidden" is always false: none of these files is held back from tests."""
    return {"generator": f"PyTorch {torch.__version__}", "hidden": False}


def flat(tensor):
    """A tensor as one flat, row-major list of Python numbers (NCHW for images; [out, in, ...] for weights)."""
    return tensor.detach().reshape(-1).tolist()


def state(module, skip_batch_counter=False):
    """A module's state_dict as {key: flat list}, in state_dict order."""
    return {key: flat(value) for key, value in module.state_dict().items()
            if not (skip_batch_counter and key.endswith("num_batches_tracked"))}


def write(folder, name, document):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".json")
    with open(path, "w", encoding="utf-8") as file:
        file.write(json.dumps(document, indent=1))
    return path

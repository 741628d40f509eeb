#!/usr/bin/python3
"""Regenerates the PyTorch reference files that the tests read (tests/reference/*.json).

    /usr/bin/python3 tests/reference/scripts/generate.py [--out DIR] [--only NAME ...] [--inputs-from DIR]

Needs Debian's PyTorch (apt-get install -y python3-torch libopenblas0-openmp), which is what wrote the committed
files ("generator": "PyTorch 1.13.0a0"). Writes into a new temporary folder unless --out names one; it never
touches tests/reference unless given --out tests/reference explicitly. One module per file family, in this
folder, each with generate() returning the file's document; compare.py diffs a regenerated folder against the
committed one.
"""
import argparse
import importlib
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ beside the scripts in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The files whose committed inputs came from a random stream these scripts do not reproduce: their generate()
# accepts a committed document and recomputes its outputs from its inputs.
REPLAYABLE = ["clipping", "losses", "normalization"]
FILES = ["clipping", "grad_scaler", "init_variance", "label_smoothing", "losses", "normalization", "optimizers", "schedulers",
         "tiny_mlp_training", "spatial_layers", "tiny_cnn_training", "tiny_resnet_training"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="folder to write NAME.json files into (default: a new temporary folder)")
    parser.add_argument("--inputs-from", metavar="DIR",
                        help="take the random inputs of " + ", ".join(REPLAYABLE) + " from DIR's files (e.g. the "
                             "committed tests/reference) instead of drawing them, to check the outputs that follow")
    parser.add_argument("--only", action="append", choices=FILES, metavar="NAME",
                        help="regenerate only this file (repeatable); one of: " + ", ".join(FILES))
    arguments = parser.parse_args()
    try:
        import torch  # noqa: F401  (imported here to fail with a useful message)
    except ImportError:
        sys.exit(f"{sys.executable} has no torch: run this with Debian's /usr/bin/python3 after "
                 "`apt-get install -y python3-torch libopenblas0-openmp`.")
    import common

    folder = arguments.out or tempfile.mkdtemp(prefix="dslnet-reference-")
    for name in arguments.only or FILES:
        module = importlib.import_module(name)
        if arguments.inputs_from and name in REPLAYABLE:
            with open(os.path.join(arguments.inputs_from, name + ".json"), encoding="utf-8") as file:
                document = module.generate(json.load(file))
        else:
            document = module.generate()
        path = common.write(folder, name, document)
        print(f"wrote {path}")
    print(f"compare with: {sys.executable} {os.path.join(os.path.dirname(__file__), 'compare.py')} {folder}")


if __name__ == "__main__":
    main()

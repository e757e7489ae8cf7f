#!/usr/bin/python3
"""PyTorch's own logits and Jacobians of examples/data/digits_cnn.pt, the reference of the
Jacobian test in tests/test_torch.cpp. Rerun after retraining the network:

    /usr/bin/python3 tests/torch_reference.py     (needs python3-torch)

writes tests/data/digits_cnn_reference.txt: for the first POINTS test images (the split of
examples/digits_data.hpp) and for the network in float32 and as model.double(), a block

    <dtype> <data row>
    <the 64 inputs>
    <the 10 logits>
    <10 lines of 64 numbers: torch.autograd.functional.jacobian(model, x), row i = ∇f_i>

with 17 significant digits (float32 values are exact in that many).
"""

import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
from digits_split import DATA, load_digits, test_rows  # noqa: E402

POINTS = 2
OUT = os.path.join(ROOT, "tests", "data", "digits_cnn_reference.txt")


def line(values):
    return " ".join("%.17g" % v for v in values.reshape(-1).tolist())


def main():
    torch.set_num_threads(1)
    pixels, _ = load_digits()
    blocks = []
    for dtype in ["float32", "float64"]:
        model = torch.jit.load(os.path.join(DATA, "digits_cnn.pt")).eval()
        model.to(getattr(torch, dtype))
        for row in test_rows()[:POINTS]:
            x = torch.from_numpy(pixels[row]).to(getattr(torch, dtype))

            def f(v):
                return model(v.reshape(1, 1, 8, 8)).reshape(-1)

            jac = torch.autograd.functional.jacobian(f, x)  # K × 64
            with torch.no_grad():
                logits = f(x)
            blocks.append("%s %d\n%s\n%s\n%s" % (dtype, row, line(x), line(logits),
                                                 "\n".join(line(r) for r in jac)))
    with open(OUT, "w") as out:
        out.write("\n".join(blocks) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()

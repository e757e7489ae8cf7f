#!/usr/bin/python3
"""The PyTorch side of the estimator benchmark: what the paper's reference pipeline costs here.

Run with Debian's interpreter (python3-torch, python3-scipy):

    /usr/bin/python3 benchmarks/pytorch_anchor.py [--points 50]

On the same bundled digits networks and test points as robustness_benchmark.cpp (the first
`--points` images of the test split of examples/digits_data.hpp, pixels / 16, reproduced
here by test_rows()),
one thread (torch.set_num_threads(1)), σ ∈ {0.05, 0.1, 0.2, 0.4}, it times per (point, σ):

  taylor (paper)  torch.autograd.functional.jacobian of the logits at x, margins g and
                  gradient G, z_i = g_i / (σ‖G_i‖), R = D⁻¹GGᵀD⁻¹ + 1e-5·I, and
                  scipy.stats.multivariate_normal.cdf(z, cov=R, abseps=1e-4, releps=1e-4) —
                  the reference code's recipe (Han, Srinivas & Lakkaraju, UAI 2024);
  monte carlo     10⁴ noisy copies x + σ·randn in one batch, one forward pass, argmax
                  compared with the prediction at x; float32 (PyTorch's default) and float64.

It prints a markdown table and writes it into benchmarks/README.md between
<!-- pytorch:begin --> and <!-- pytorch:end -->. It takes a few minutes.
"""

import argparse
import datetime
import os
import platform
import sys
import time

from readme_section import publish

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
from digits_split import test_rows  # noqa: E402  (the split of examples/digits_data.hpp)

DATA = os.path.join(ROOT, "examples", "data")
COMMAND = "/usr/bin/python3 benchmarks/pytorch_anchor.py"
NETWORKS = [("relu 64-128-64-10", "digits_relu_64_128_64_10.model"),
            ("tanh 64-64-10", "digits_tanh_64_64_10.model")]
SIGMAS = [0.05, 0.1, 0.2, 0.4]

try:
    import numpy as np
    import torch
    from scipy.stats import multivariate_normal
except ImportError as exc:  # pragma: no cover
    sys.exit("pytorch_anchor.py: needs python3-torch and python3-scipy (%s); run it with "
             "/usr/bin/python3 after apt-get install python3-torch python3-scipy" % exc)


def load_model(path):
    """A probust model file (docs/model_format.md) as a float64 torch.nn.Sequential."""
    tokens = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                tokens.append(line)
    assert tokens[0] == ["probust-model", "1"], path
    layers, row = [], 3
    for _ in range(int(tokens[2][1])):
        _, n_in, n_out, act = tokens[row][:4]
        n_in, n_out = int(n_in), int(n_out)
        weights = np.array(tokens[row + 1:row + 1 + n_out], dtype=np.float64)
        bias = np.array(tokens[row + 1 + n_out], dtype=np.float64)
        linear = torch.nn.Linear(n_in, n_out, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights))
            linear.bias.copy_(torch.from_numpy(bias))
        layers.append(linear)
        activation = {"identity": None, "relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh()}[act]
        if activation is not None:
            layers.append(activation)
        row += n_out + 2
    return torch.nn.Sequential(*layers).eval()


def taylor_paper(model, x, sigma):
    jac = torch.autograd.functional.jacobian(model, x)  # K × d
    with torch.no_grad():
        logits = model(x)
    t = int(torch.argmax(logits))
    others = [i for i in range(logits.numel()) if i != t]
    g = (logits[t] - logits[others]).numpy()
    G = (jac[t] - jac[others]).numpy() * sigma
    norms = np.linalg.norm(G, axis=1)
    R = (G / norms[:, None]) @ (G / norms[:, None]).T + 1e-5 * np.eye(len(g))
    return multivariate_normal.cdf(g / norms, mean=np.zeros(len(g)), cov=R,
                                   abseps=1e-4, releps=1e-4)


def monte_carlo(model, x, sigma, n=10_000):
    with torch.no_grad():
        t = torch.argmax(model(x))
        out = model(x + sigma * torch.randn(n, x.numel(), dtype=x.dtype))
        return float((out.argmax(dim=1) == t).double().mean())


def per_call_ms(fn, cases):
    start = time.perf_counter()
    for case in cases:
        fn(*case)
    return (time.perf_counter() - start) / len(cases) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=50, help="test points (default 50)")
    parser.add_argument("--no-readme", action="store_true", help="only print the table")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = np.loadtxt(os.path.join(DATA, "digits.csv"), delimiter=",")
    test = data[test_rows()[:args.points], :64] / 16.0

    rows = []
    for name, file in NETWORKS:
        model64 = load_model(os.path.join(DATA, file))
        model32 = load_model(os.path.join(DATA, file)).float()
        xs64 = [torch.from_numpy(x) for x in test]
        xs32 = [x.float() for x in xs64]
        taylor, mc32, mc64 = [], [], []
        for sigma in SIGMAS:
            print("%s, sigma %g ..." % (name, sigma), file=sys.stderr, flush=True)
            taylor.append(per_call_ms(lambda x: taylor_paper(model64, x, sigma),
                                      [(x,) for x in xs64]))
            mc32.append(per_call_ms(lambda x: monte_carlo(model32, x, sigma), [(x,) for x in xs32]))
            mc64.append(per_call_ms(lambda x: monte_carlo(model64, x, sigma), [(x,) for x in xs64]))
        for label, values in [("taylor (paper: jacobian + scipy mvn cdf)", taylor),
                              ("monte carlo 10^4, float32", mc32),
                              ("monte carlo 10^4, float64", mc64)]:
            rows.append("| %s | %s | %s | %.2f |" % (
                name, label, " | ".join("%.2f" % v for v in values), sum(values) / len(values)))

    table = "\n".join([
        "PyTorch %s (Debian's build, BLAS: %s), scipy, one thread, %d test points, %s, %s."
        % (torch.__version__, "generic" if "BLAS_INFO=generic" in torch.__config__.show()
           else "see torch.__config__", args.points, platform.processor() or platform.machine(),
           datetime.date.today().isoformat()),
        "Command: `%s`. Milliseconds per (point, σ):" % COMMAND,
        "",
        "| network | pipeline | σ=0.05 | σ=0.1 | σ=0.2 | σ=0.4 | mean |",
        "|---|---|---|---|---|---|---|",
    ] + rows)
    publish("pytorch", table, write_readme=not args.no_readme)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The digits CNN (TorchScript) through probust against the paper's PyTorch pipeline.

    /usr/bin/python3 benchmarks/torch_pipeline.py [--points 50] [--cli build/examples/cli/probust-cli]

Needs python3-torch, python3-scipy and a probust-cli built with libtorch (the default build
when libtorch-dev is installed: cmake --build build --target probust_cli). In one run, on
the network examples/data/digits_cnn.pt and the first --points test images (the split of
examples/digits_data.hpp), at σ ∈ {0.05, 0.1, 0.2, 0.4}, one thread on both sides:

  probust     probust-cli estimate --model digits_cnn.pt --input-shape 1,8,8 --threads 1
              --estimators taylor,monte_carlo (abs_tol 1e-4; 10⁴ samples in batches of 256);
              time per (point, σ) = the rows' `seconds` (the estimate call alone); one
              probust-cli run per σ, just before the PyTorch side's σ; each side first
              runs the first point once untimed (warm-up);
  paper       Taylor: torch.autograd.functional.jacobian of the eager network + scipy's
              multivariate_normal.cdf at abseps = releps = 1e-4 with jitter 1e-5
              (pytorch_anchor.taylor_paper, the recipe of Han, Srinivas & Lakkaraju,
              UAI 2024); Monte Carlo: a loop of torch.no_grad() forward passes over
              batches of --mc-batch (default 256, as probust) noisy copies, 10⁴ in all.

Both run the same float32 weights (the eager network is the same architecture with the
TorchScript file's state_dict). Agreement: max |p_probust − p_paper| for Taylor (both
integrate the same Gaussian probability to 1e-4; the paper's jitter moves it by ~1e-5);
for Monte Carlo, the fraction of points where the two estimates (independent draws) differ
by at most 1.96 standard errors of their difference, √((p₁(1 − p₁) + p₂(1 − p₂))/n): 95% is
expected when both estimate the same probability.

It prints a markdown table and writes it into benchmarks/README.md between
<!-- torch:begin --> and <!-- torch:end --> (unless --no-readme).
"""

import argparse
import csv
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

from readme_section import publish  # noqa: E402

try:
    import numpy as np
    import torch
    from digits_split import DATA, load_digits, test_rows
    from pytorch_anchor import taylor_paper
    from train_cnn import make_network
except ImportError as exc:  # pragma: no cover
    sys.exit("torch_pipeline.py: needs python3-torch and python3-scipy (%s); run it with "
             "/usr/bin/python3" % exc)

COMMAND = "/usr/bin/python3 benchmarks/torch_pipeline.py"
SIGMAS = ["0.05", "0.1", "0.2", "0.4"]
SAMPLES = 10_000


class Flat(torch.nn.Module):
    """The CNN on flattened inputs: a 64-vector gives its 10 logits, an n × 64 batch n × 10."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, v):
        out = self.net(v.reshape(-1, 1, 8, 8))
        return out[0] if v.dim() == 1 else out


def monte_carlo_loop(model, x, sigma, batch):
    """Fraction of SAMPLES noisy copies x + σ·randn keeping argmax f(x), in batches."""
    with torch.no_grad():
        t = int(torch.argmax(model(x)))
        hits, done = 0, 0
        while done < SAMPLES:
            m = min(batch, SAMPLES - done)
            out = model(x + sigma * torch.randn(m, x.numel(), dtype=x.dtype))
            hits += int((out.argmax(dim=1) == t).sum())
            done += m
        return hits / SAMPLES


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_probust(cli, model_file, points, sigma):
    """{point index: {estimator: row}} from probust-cli on these points at one σ. The first
    point is run once more, first, as a warm-up whose row is dropped (libtorch's first
    autograd call in a process costs a few milliseconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "points.csv")
        np.savetxt(inputs, np.vstack([points[:1], points]), delimiter=",", fmt="%.17g")
        out = os.path.join(tmp, "rows.csv")
        subprocess.run([cli, "estimate", "--model", model_file, "--input-shape", "1,8,8",
                        "--inputs", inputs, "--estimators", "taylor,monte_carlo",
                        "--sigma", sigma, "--samples", str(SAMPLES),
                        "--threads", "1", "--no-progress", "--output", out], check=True)
        rows = {}
        with open(out) as f:
            for row in csv.DictReader(f):
                if row["status"] != "ok":
                    sys.exit("torch_pipeline.py: probust row not ok: %s" % row)
                if int(row["point_id"]) > 0:
                    rows.setdefault(int(row["point_id"]) - 1, {})[row["estimator"]] = row
        return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=50, help="test points (default 50)")
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "examples", "cli",
                                                      "probust-cli"),
                        help="probust-cli built with libtorch")
    parser.add_argument("--mc-batch", type=int, default=256,
                        help="PyTorch Monte-Carlo batch size (default 256, as probust)")
    parser.add_argument("--no-readme", action="store_true", help="only print the table")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    model_file = os.path.join(DATA, "digits_cnn.pt")
    pixels, _ = load_digits()
    points = pixels[test_rows()[:args.points]]
    net = make_network()
    net.load_state_dict(torch.jit.load(model_file).state_dict())
    model = Flat(net.eval())
    xs = [torch.from_numpy(x).float() for x in points]

    lines = []
    totals = {"taylor": [0.0, 0.0], "mc": [0.0, 0.0]}
    for sigma_text in SIGMAS:
        sigma = float(sigma_text)
        # One σ at a time on each side, so that both see about the same machine load.
        print("sigma %s: probust-cli ..." % sigma_text, file=sys.stderr, flush=True)
        ours = run_probust(args.cli, model_file, points, sigma_text)
        print("sigma %s: PyTorch ..." % sigma_text, file=sys.stderr, flush=True)
        taylor_paper(model, xs[0], sigma)  # warm-up, as on probust's side
        monte_carlo_loop(model, xs[0], sigma, args.mc_batch)
        t_ours = t_paper = mc_ours = mc_torch = 0.0
        max_dp, inside = 0.0, 0
        for i, x in enumerate(xs):
            row = ours[i]
            p_paper, dt = timed(lambda: taylor_paper(model, x, sigma))
            t_paper += dt
            t_ours += float(row["taylor"]["seconds"])
            max_dp = max(max_dp, abs(float(row["taylor"]["probability"]) - p_paper))
            p_mc, dt = timed(lambda: monte_carlo_loop(model, x, sigma, args.mc_batch))
            mc_torch += dt
            mc = row["monte_carlo"]
            mc_ours += float(mc["seconds"])
            # The two Monte-Carlo estimates are independent: their difference has variance
            # p(1 − p)/n on each side, so |Δ| ≤ 1.96·√(sum) holds for 95% of points when
            # both estimate the same probability.
            p_ours = float(mc["probability"])
            variance = (p_ours * (1 - p_ours) + p_mc * (1 - p_mc)) / SAMPLES
            inside += abs(p_ours - p_mc) <= 1.96 * variance ** 0.5
        n = len(xs)
        totals["taylor"][0] += t_ours
        totals["taylor"][1] += t_paper
        totals["mc"][0] += mc_ours
        totals["mc"][1] += mc_torch
        lines.append("| %s | %.3f | %.2f | **%.0f×** | %.1e | %.1f | %.1f | %.2f | %d%% |" % (
            sigma_text, 1e3 * t_ours / n, 1e3 * t_paper / n, t_paper / t_ours, max_dp,
            1e3 * mc_ours / n, 1e3 * mc_torch / n, mc_ours / mc_torch, round(100 * inside / n)))
    n = len(xs) * len(SIGMAS)
    lines.append("| all | %.3f | %.2f | **%.0f×** | | %.1f | %.1f | %.2f | |" % (
        1e3 * totals["taylor"][0] / n, 1e3 * totals["taylor"][1] / n,
        totals["taylor"][1] / totals["taylor"][0], 1e3 * totals["mc"][0] / n,
        1e3 * totals["mc"][1] / n, totals["mc"][0] / totals["mc"][1]))

    table = "\n".join([
        "%s, %d test points, one thread on both sides, PyTorch %s, %s, %s; load average "
        "at the end of the run %.2f (other processes share the cores: compare the columns "
        "of one run, not runs)."
        % ("examples/data/digits_cnn.pt (float32 CNN)", args.points, torch.__version__,
           platform.processor() or platform.machine(), datetime.date.today().isoformat(),
           os.getloadavg()[0]),
        "Command: `%s --points %d`. Milliseconds per (point, σ); Monte Carlo: 10⁴ samples, "
        "PyTorch in batches of %d." % (COMMAND, args.points, args.mc_batch),
        "",
        "| σ | Taylor probust | Taylor paper | speed-up | max \\|Δp\\| | MC probust | "
        "MC PyTorch | ratio | MC estimates within 1.96 SE of each other |",
        "|---|---|---|---|---|---|---|---|---|",
    ] + lines)
    publish("torch", table, write_readme=not args.no_readme)


if __name__ == "__main__":
    main()

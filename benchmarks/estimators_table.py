#!/usr/bin/python3
"""Runs robustness_benchmark and writes its results as tables into benchmarks/README.md.

    /usr/bin/python3 benchmarks/estimators_table.py [--build build-bench] [--points 50]

Builds the target robustness_benchmark in --build (configured with
-DPROBUST_BUILD_BENCHMARKS=ON -DCMAKE_BUILD_TYPE=Release), runs it with
PROBUST_BENCH_POINTS=--points and JSON output, and puts, per network, time per (point, σ)
and mean absolute error against the 10⁵-sample Monte-Carlo truth of every estimator
between <!-- estimators:begin --> and <!-- estimators:end -->. Takes about 10 minutes;
run it on a quiet machine.
"""

import argparse
import datetime
import os

from bench_common import run_google_benchmark
from readme_section import publish

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = "/usr/bin/python3 benchmarks/estimators_table.py"
ESTIMATORS = ["taylor", "taylor_paper", "mmse", "taylor_mv_sigmoid", "mmse_mv_sigmoid",
              "softmax", "monte_carlo", "monte_carlo_float", "control_variate"]
SIGMAS = ["0.05", "0.10", "0.20", "0.40"]


def fmt_time(seconds):
    return "%.3g ms" % (seconds * 1e3) if seconds >= 1e-4 else "%.3g µs" % (seconds * 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    data = run_google_benchmark(args.build, "robustness_benchmark", args.points,
                                ["--benchmark_min_time=0.2"])
    runs = {b["name"]: b for b in data["benchmarks"]}

    lines = ["%s, %d test points, one core; `%s`. Each cell: time per (point, σ) / mean "
             "\\|p − p_MC(10⁵)\\|." % (datetime.date.today().isoformat(), args.points, COMMAND)]
    for net in ["relu", "tanh"]:
        lines += ["", "**%s network**" % ("64 → 128 → 64 → 10 ReLU" if net == "relu"
                                          else "64 → 64 → 10 tanh"), "",
                  "| estimator | σ = 0.05 | σ = 0.1 | σ = 0.2 | σ = 0.4 |", "|---|---|---|---|---|"]
        for est in ESTIMATORS:
            cells = []
            for s in SIGMAS:
                b = runs.get("%s/%s/sigma=%s" % (est, net, s))
                cells.append("%s / %.2g" % (fmt_time(b["per_point"]), b["mae"]) if b else "–")
            lines.append("| %s | %s |" % (est, " | ".join(cells)))
        a = runs.get("taylor_all_sigma/%s" % net)
        e = runs.get("taylor_easy/%s" % net)
        if a:
            lines += ["", "Taylor averaged over the four σ: %s per (point, σ), Jacobian "
                      "included." % fmt_time(a["per_point"])]
        if e:
            lines.append("Easy (point, σ) pairs (1 − p ≤ 1e-12, %d of %d): %s each." % (
                e["pairs"], 4 * args.points, fmt_time(e["per_point"])))
        mc = [runs.get("monte_carlo/%s/sigma=%s" % (net, s)) for s in SIGMAS]
        if all(mc):
            lines.append("Monte Carlo 95%% intervals containing the 10⁵-sample truth: %s." %
                         ", ".join("%.0f%%" % (100 * b["covered"]) for b in mc))
    table = "\n".join(lines)
    publish("estimators", table, write_readme=not args.no_readme)


if __name__ == "__main__":
    main()

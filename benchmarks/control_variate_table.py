#!/usr/bin/python3
"""Runs control_variate_benchmark and writes its results into benchmarks/README.md.

    /usr/bin/python3 benchmarks/control_variate_table.py [--build build-bench] [--points 50]

Builds the target control_variate_benchmark in --build (configured with
-DPROBUST_BUILD_BENCHMARKS=ON -DCMAKE_BUILD_TYPE=Release), runs it with
PROBUST_BENCH_POINTS=--points and JSON output, and puts, per network and σ, the mean model
evaluations per point that plain Monte Carlo and control-variate Monte Carlo (exact and
score intervals) need to reach a 95% interval half-width w, their ratio, time per point and
interval coverage of the 10⁵-sample truth, between <!-- control_variate:begin --> and
<!-- control_variate:end -->. Takes about 5 minutes.
"""

import argparse
import datetime
import json
import os

from bench_common import run_google_benchmark
from readme_section import publish

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = "/usr/bin/python3 benchmarks/control_variate_table.py"
SIGMAS = ["0.05", "0.10", "0.20", "0.40"]
WIDTHS = ["0.010", "0.003"]


def fmt_time(seconds):
    return "%.3g ms" % (seconds * 1e3) if seconds >= 1e-4 else "%.3g µs" % (seconds * 1e6)


def fmt_count(n):
    return "%.3gk" % (n / 1e3) if n >= 1e4 else "%.0f" % n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--json", help="use this benchmark output instead of running it")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
    else:
        data = run_google_benchmark(args.build, "control_variate_benchmark", args.points)
    runs = {b["name"].replace("/iterations:1", ""): b for b in data["benchmarks"]}

    lines = ["%s, %d test points, one core; `%s`. Mean model evaluations per point to reach "
             "a 95%% interval of half-width w (sequential stopping, at most 4·10⁶ samples); "
             "in brackets the factor saved against plain Monte Carlo. *exact*: the "
             "Clopper–Pearson-based interval (default), *score*: Tango's score interval "
             "(`interval_method::wilson`). Time per point includes the Jacobian and the "
             "Taylor value; coverage: intervals containing the 10⁵-sample truth (itself "
             "±0.003 at worst, so approximate for w = 0.003)." % (
                 datetime.date.today().isoformat(), args.points, COMMAND)]
    for net in ["relu", "tanh"]:
        lines += ["", "**%s network**" % ("64 → 128 → 64 → 10 ReLU" if net == "relu"
                                          else "64 → 64 → 10 tanh"), "",
                  "| σ | Taylor MAE | w | Monte Carlo | CV exact | CV score | time MC / exact "
                  "/ score | coverage MC / exact / score | median Var(Y)/Var(Y−C), 0.05 < p < 0.95 |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for s in SIGMAS:
            for w in WIDTHS:
                suffix = "/%s/sigma=%s/w=%s" % (net, s, w)
                mc = runs.get("monte_carlo" + suffix)
                cv = runs.get("control_variate" + suffix)
                sc = runs.get("control_variate_score" + suffix)
                if not (mc and cv and sc):
                    continue
                lines.append("| %s | %.2g | %s | %s | %s (%.1f×) | %s (%.1f×) | %s / %s / %s | "
                             "%.0f%% / %.0f%% / %.0f%% | %.3g |" % (
                                 s, cv["taylor_mae"], w.rstrip("0"), fmt_count(mc["evals"]),
                                 fmt_count(cv["evals"]), mc["evals"] / cv["evals"],
                                 fmt_count(sc["evals"]), mc["evals"] / sc["evals"],
                                 fmt_time(mc["per_point"]), fmt_time(cv["per_point"]),
                                 fmt_time(sc["per_point"]), 100 * mc["covered"],
                                 100 * cv["covered"], 100 * sc["covered"],
                                 cv.get("reduction", float("nan"))))
    publish("control_variate", "\n".join(lines), write_readme=not args.no_readme)


if __name__ == "__main__":
    main()

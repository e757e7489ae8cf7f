#!/usr/bin/python3
"""Does probust's Taylor estimate agree with an independent high-precision evaluation?

    /usr/bin/python3 benchmarks/taylor_agreement.py [--points 25] [--build build-bench]

1. builds (cmake --build <build> --target taylor_cases; configure the build directory with
   -DPROBUST_BUILD_BENCHMARKS=ON first) and runs taylor_cases, which writes the linearized
   problems p = P(Y <= g), Y ~ N(0, sigma^2 G G^T), of both digits networks for the first
   --points test images and sigma in {0.05, 0.1, 0.2, 0.4}, with probust's answers at the
   default options (abs_tol 1e-4) and with mvn.abs_tol = 1e-6;
2. evaluates every problem with R mvtnorm::pmvnorm(upper = g, sigma = C,
   algorithm = GenzBretz(abseps = 1e-7, releps = 0, maxpts = 1e7)) — Genz's Fortran MVTDST,
   an implementation independent of probust's, run to 1e-7 (it reports its own error);
3. counts the cases where |p - p_ref| <= error + error_ref (the reported bands), for the
   default and the 1e-6 option — strictly, and forgiving |p - p_ref| <= 1e-12 (FLOOR) —
   lists the misses, and writes it all into benchmarks/README.md between
   <!-- agreement:begin --> and <!-- agreement:end -->.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile

from readme_section import publish

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = "/usr/bin/python3 benchmarks/taylor_agreement.py"
# |p − p_ref| below this is not counted against either code: p near 1 is a double whose
# last bits neither code controls (mvtnorm sums it directly and reports error 0 there).
FLOOR = 1e-12

R_SCRIPT = r"""
suppressMessages(library(mvtnorm))
args <- commandArgs(trailingOnly = TRUE)
lines <- readLines(args[1])
out <- file(args[2], "w")
for (ln in lines) {
  f <- strsplit(ln, " ")[[1]]
  k <- as.integer(f[4]); v <- as.numeric(f[-(1:4)])
  g <- v[1:k]; C <- matrix(v[(k + 1):(k + k * k)], k, k, byrow = TRUE)
  set.seed(1)
  p <- pmvnorm(upper = g, sigma = C,
               algorithm = GenzBretz(maxpts = 1e7, abseps = 1e-7, releps = 0))
  writeLines(sprintf("%.17g %.17g", p, attr(p, "error")), out)
}
close(out)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=25, help="test points per network")
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--no-readme", action="store_true", help="only print the table")
    args = parser.parse_args()
    subprocess.run(["cmake", "--build", args.build, "--target", "taylor_cases"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        cases, refs, script = (os.path.join(tmp, n) for n in ("cases.txt", "ref.txt", "r.R"))
        subprocess.run([os.path.join(args.build, "benchmarks", "taylor_cases"), cases,
                        str(args.points)], check=True)
        with open(script, "w") as f:
            f.write(R_SCRIPT)
        print("mvtnorm on every case (a few minutes) ...", file=sys.stderr, flush=True)
        subprocess.run(["Rscript", script, cases, refs], check=True)
        rows = [line.split() for line in open(cases)]
        ref = [tuple(map(float, line.split())) for line in open(refs)]

    stats = {}
    misses = []
    for row, (p_ref, e_ref) in zip(rows, ref):
        net, sigma = row[0], float(row[2])
        p, err, p_tight, err_tight = map(float, row[-4:])
        s = stats.setdefault((net, sigma), {"n": 0, "in": 0, "in_t": 0, "in_f": 0, "in_tf": 0,
                                            "dev": 0.0, "dev_t": 0.0, "err": 0.0, "ref": 0.0})
        s["n"] += 1
        s["in"] += abs(p - p_ref) <= err + e_ref
        s["in_t"] += abs(p_tight - p_ref) <= err_tight + e_ref
        s["in_f"] += abs(p - p_ref) <= err + e_ref + FLOOR
        s["in_tf"] += abs(p_tight - p_ref) <= err_tight + e_ref + FLOOR
        if abs(p - p_ref) > err + e_ref:
            misses.append("%s point %s σ=%g: p = %.15f ± %.1e, mvtnorm %.15f ± %.1e, "
                          "|Δ| = %.1e" % (net, row[1], sigma, p, err, p_ref, e_ref,
                                          abs(p - p_ref)))
        s["dev"] = max(s["dev"], abs(p - p_ref))
        s["dev_t"] = max(s["dev_t"], abs(p_tight - p_ref))
        s["err"] = max(s["err"], err)
        s["ref"] = max(s["ref"], e_ref)

    total = sum(s["n"] for s in stats.values())
    inside, inside_t, inside_f, inside_tf = (sum(s[key] for s in stats.values())
                                             for key in ("in", "in_t", "in_f", "in_tf"))
    lines = [
        "%s, %d test points per network, %d cases. Command: `%s`." % (
            datetime.date.today().isoformat(), args.points, total, COMMAND),
        "",
        "| network | σ | cases | within band (default, abs_tol 1e-4) | max \\|p − p_ref\\| | "
        "max reported error | within band (abs_tol 1e-6) | max \\|p − p_ref\\| (1e-6) | "
        "max mvtnorm error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (net, sigma), s in sorted(stats.items()):
        lines.append("| %s | %g | %d | %d | %.1e | %.1e | %d | %.1e | %.1e |" % (
            net, sigma, s["n"], s["in"], s["dev"], s["err"], s["in_t"], s["dev_t"], s["ref"]))
    pct = lambda k: "%d of %d (%.1f%%)" % (k, total, 100.0 * k / total)
    lines += ["", "All cases: %s within the default band, %s within the 1e-6 option's band. "
              "With |Δ| ≤ %.0e forgiven (below it neither code's double-precision p can be "
              "compared, and mvtnorm reports 0 error): %s and %s." % (
                  pct(inside), pct(inside_t), FLOOR, pct(inside_f), pct(inside_tf)),
              "", "Cases outside the default band:", ""] + ["* " + m for m in misses]
    table = "\n".join(lines)
    publish("agreement", table, write_readme=not args.no_readme)


if __name__ == "__main__":
    main()

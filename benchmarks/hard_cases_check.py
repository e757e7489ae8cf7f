#!/usr/bin/python3
"""Independent checks of single hard cases written by hard_cases.py: where probust and R
mvtnorm disagree, which of the two the case's own reference supports.

    /usr/bin/python3 benchmarks/hard_cases_check.py NAME... [--build build-bench]
                                                            [--mvtnorm-abseps 2e-6]

For each case BUILD/hard/cases/NAME.{R,b}.txt (P(X <= b), X ~ N(0, R)) it prints probust's
and mvtnorm's values with their reported errors (probust.tsv, mvtnorm.tsv of the last
hard_cases.py run) and

  * the second-order Bonferroni bounds 1 - S1 <= p <= 1 - S1 + S2, S1 = sum_i P(X_i > b_i)
    and S2 = sum_{i<j} P(X_i > b_i, X_j > b_j), each pair an adaptive 1-D quadrature
    (scipy.integrate.quad) of phi(x) * Phi_bar((b_j - r x) / sqrt(1 - r^2)) over x > b_i:
    tight when p is near 1, where they check the last digits;
  * with --mvtnorm-abseps, R mvtnorm::pmvnorm at that absolute tolerance (GenzBretz,
    maxpts 5e7, set.seed(7)): a reference for moderate p.

Needs scipy; the mvtnorm reference needs R with r-cran-mvtnorm.
"""
import argparse
import itertools
import math
import os
import subprocess

import numpy as np
from scipy import integrate, stats

from bench_common import read_tsv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

R_SCRIPT = r"""
suppressMessages(library(mvtnorm))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; tol <- as.numeric(args[2])
for (nm in args[-(1:2)]) {
  R <- as.matrix(read.table(file.path(dir, paste0(nm, ".R.txt"))))
  b <- scan(file.path(dir, paste0(nm, ".b.txt")), quiet = TRUE)
  set.seed(7)
  p <- pmvnorm(upper = b, corr = R,
               algorithm = GenzBretz(abseps = tol, releps = 0, maxpts = 5e7))
  cat(nm, format(p[1], digits = 17), attr(p, "error"), "\n", sep = "\t")
}
"""


def upper_pair(a, b, r):
    """P(X > a, Y > b) for a standard bivariate normal with correlation r, |r| < 1."""
    s = math.sqrt(1.0 - r * r)
    value, _ = integrate.quad(lambda x: stats.norm.pdf(x) * stats.norm.sf((b - r * x) / s),
                              a, np.inf, epsabs=1e-16, epsrel=1e-12, limit=200)
    return value


def bonferroni(R, b):
    s1 = sum(stats.norm.sf(bi) for bi in b)
    s2 = sum(upper_pair(b[i], b[j], R[i, j]) if abs(R[i, j]) < 1.0 else
             stats.norm.sf(max(b[i], b[j])) if R[i, j] > 0 else 0.0
             for i, j in itertools.combinations(range(len(b)), 2))
    return 1.0 - s1, 1.0 - s1 + s2


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--mvtnorm-abseps", type=float)
    args = ap.parse_args()
    case_dir = os.path.join(args.build, "hard", "cases")
    probust = {r["name"]: r for r in read_tsv(os.path.join(case_dir, "probust.tsv"))}
    path = os.path.join(case_dir, "mvtnorm.tsv")
    mvtnorm = {r["name"]: r for r in read_tsv(path)} if os.path.exists(path) else {}
    reference = {}
    if args.mvtnorm_abseps:
        out = subprocess.run(["Rscript", "--vanilla", "-e", R_SCRIPT, case_dir,
                              repr(args.mvtnorm_abseps)] + args.names,
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            fields = line.split("\t")
            reference[fields[0]] = (float(fields[1]), float(fields[2]))
    for name in args.names:
        R = np.loadtxt(os.path.join(case_dir, name + ".R.txt"))
        b = np.atleast_1d(np.loadtxt(os.path.join(case_dir, name + ".b.txt")))
        p = probust[name]
        print("%s\n  probust            %.12f +- %.2g" % (name, float(p["value"]),
                                                         float(p["reported_err"])))
        if name in mvtnorm:
            print("  mvtnorm            %.12f +- %.2g" % (float(mvtnorm[name]["value"]),
                                                         float(mvtnorm[name]["error"])))
        low, high = bonferroni(R, b)
        print("  Bonferroni bounds  [%.12f, %.12f]" % (low, high))
        if name in reference:
            print("  mvtnorm abseps %-4g %.12f +- %.2g" % ((args.mvtnorm_abseps,) +
                                                           reference[name]))


if __name__ == "__main__":
    main()

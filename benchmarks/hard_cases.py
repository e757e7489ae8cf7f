#!/usr/bin/env python3
"""Hard MVN cases (hard_cases.cpp) timed for probust and R mvtnorm in one run.

  1. builds train_digits and hard_cases in BUILD (default build-bench, Release);
  2. trains the held-out network (train_digits --held-out) into BUILD/hard if missing;
  3. runs hard_cases --out BUILD/hard/cases (probust, abs_tol TOL, median of >= 3 calls);
  4. runs R mvtnorm::pmvnorm(upper = b, corr = R, algorithm = GenzBretz(abseps = TOL,
     releps = 0, maxpts = 1e7; 2e6 for k = 99)) once per case in one Rscript process on the
     same files (singular R for the rank-deficient cases), unless --no-mvtnorm;
  5. prints a markdown table per family: median / p95 time and median points of each,
     the Taylor mean time per (point, sigma), and whether the two agree within their
     reported errors (|p - p_mvtnorm| <= err + err_mvtnorm); BUILD/hard/cases/probust.tsv and
     mvtnorm.tsv keep the values per case.

  /usr/bin/python3 benchmarks/hard_cases.py [--build DIR] [--tol 1e-4] [--points 25]
                                            [--no-mvtnorm] [--jobs 2]
Needs cmake, a C++ compiler, Google Benchmark (libbenchmark-dev) and, for the anchor,
r-cran-mvtnorm. Only the Python standard library is used.
"""
import argparse
import os
import statistics
import subprocess
import sys

from bench_common import build_targets, log, read_tsv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

R_SCRIPT = r"""
suppressMessages(library(mvtnorm))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; tol <- as.numeric(args[2])
cases <- read.table(file.path(dir, "probust.tsv"), header = TRUE, sep = "\t",
                    stringsAsFactors = FALSE)
for (i in seq_len(nrow(cases))) {
  nm <- cases$name[i]
  R <- as.matrix(read.table(file.path(dir, paste0(nm, ".R.txt"))))
  b <- scan(file.path(dir, paste0(nm, ".b.txt")), quiet = TRUE)
  maxpts <- if (length(b) > 50) 2e6 else 1e7
  alg <- GenzBretz(abseps = tol, releps = 0, maxpts = maxpts)
  set.seed(1)
  t <- system.time(p <- pmvnorm(upper = b, corr = R, algorithm = alg))[["elapsed"]]
  cat(nm, format(p[1], digits = 17), attr(p, "error"), paste0(t, "\n"), sep = "\t")
  flush(stdout())
}
"""


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def ms(seconds):
    return f"{1e3 * seconds:.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--points", type=int, default=25)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-mvtnorm", action="store_true")
    args = ap.parse_args()

    build_targets(args.build, ["train_digits", "hard_cases"], args.jobs, examples=True)
    hard_dir = os.path.join(args.build, "hard")
    case_dir = os.path.join(hard_dir, "cases")
    os.makedirs(case_dir, exist_ok=True)
    model = os.path.join(hard_dir, "digits_relu_64_96_96_10_heldout.model")
    if not os.path.exists(model):
        log("training the held-out network (about 10 s)")
        subprocess.run([os.path.join(args.build, "examples", "train_digits"), "--held-out",
                        hard_dir], check=True, stdout=sys.stderr)
    log("probust on the hard cases")
    subprocess.run([os.path.join(args.build, "benchmarks", "hard_cases"), "--network", model,
                    "--out", case_dir, "--tol", repr(args.tol), "--points", str(args.points)],
                   check=True, stdout=sys.stderr)
    cases = read_tsv(os.path.join(case_dir, "probust.tsv"))

    mvt = {}
    if not args.no_mvtnorm:
        log("R mvtnorm on the same cases (minutes)")
        script = os.path.join(hard_dir, "mvtnorm_hard.R")
        with open(script, "w") as f:
            f.write(R_SCRIPT)
        proc = subprocess.run(["Rscript", "--vanilla", script, case_dir, repr(args.tol)],
                              check=True, stdout=subprocess.PIPE, text=True)
        with open(os.path.join(case_dir, "mvtnorm.tsv"), "w") as f:
            f.write("name\tvalue\terror\ttime_s\n" + proc.stdout)
        for line in proc.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) >= 4:
                mvt[parts[0]] = (float(parts[1]), float(parts[2]), float(parts[3]))

    families = []
    for c in cases:
        if c["family"] not in families:
            families.append(c["family"])
    print(f"abs_tol {args.tol:g}, one call per case for mvtnorm, median of >= 3 for probust\n")
    print("| family | k | rank | cases | λ_min (median) | probust median / p95 ms | "
          "points (median) | mvtnorm median / p95 ms | agree within errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fam in families:
        rows = [c for c in cases if c["family"] == fam]
        if fam == "taylor":  # the interesting ones: the integrated problems
            rows = [c for c in rows if int(c["points"]) > 0]
        if not rows:
            continue
        t = [float(c["time_s"]) for c in rows]
        pts = [int(c["points"]) for c in rows]
        lam = statistics.median(float(c["lambda_min"]) for c in rows)
        m = [mvt[c["name"]] for c in rows if c["name"] in mvt]
        agree = sum(1 for c in rows if c["name"] in mvt and
                    abs(float(c["value"]) - mvt[c["name"]][0])
                    <= float(c["reported_err"]) + mvt[c["name"]][1])
        mt = [x[2] for x in m]
        mcol = f"{ms(statistics.median(mt))} / {ms(percentile(mt, 0.95))}" if m else "–"
        name = fam + (" (integrated)" if fam == "taylor" else "")
        print(f"| {name} | {rows[0]['k']} | {rows[0]['rank']} | {len(rows)} | {lam:.2g} | "
              f"{ms(statistics.median(t))} / {ms(percentile(t, 0.95))} | "
              f"{int(statistics.median(pts))} | {mcol} | {agree}/{len(m)} |")
    taylor = [c for c in cases if c["family"] == "taylor"]
    if taylor:
        mean_p = statistics.mean(float(c["time_s"]) for c in taylor)
        line = f"\nTaylor, all {len(taylor)} (point, σ): probust mean {ms(mean_p)} ms"
        tm = [mvt[c["name"]][2] for c in taylor if c["name"] in mvt]
        if tm:
            line += f", mvtnorm mean {ms(statistics.mean(tm))} ms"
        print(line + " per (point, σ).")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Small probabilities side by side: probust, TruncatedNormal (Botev's minimax tilting) and
R mvtnorm, in one run, against references that do not come from any of them.

    python3 benchmarks/small_p_anchors.py          (needs R with TruncatedNormal and mvtnorm)

Steps:
  1. builds (if needed) and runs the C++ program small_p_cases, which writes every case
     (correlation matrix, limits, log of the reference: a 1-D integral for equicorrelated
     cases, the Markov recursion for AR(1)) and times probust at small_p_rel_tol = 1e-3
     (1e-2 for k = 999): median of at least 3 calls repeated for 1 s, one call when it
     takes over 2 s;
  2. runs TruncatedNormal::mvNqmc(l = -Inf, u = b, Sig = R, n = 1e4) (its default-size
     QMC run; the saddle point is part of the timed call) and
     mvtnorm::pmvnorm(upper = b, corr = R, GenzBretz(maxpts = 1e6, abseps = 0,
     releps = 1e-3)) in one Rscript process, one call each (their errors are relative: the
     reported relErr of mvNqmc is one standard error, shown here as 3·relErr to match the
     3-standard-error bands of probust and mvtnorm);
  3. equal accuracy: reruns probust on each case with small_p_rel_tol = 3·relErr of
     TruncatedNormal (its own 3-SE band) and reports the time ratio;
  4. writes a markdown table between <!-- small-p:begin --> and <!-- small-p:end --> in
     benchmarks/README.md (with the machine and the command).
"""

import argparse
import datetime
import math
import os
import subprocess
import sys
import tempfile

from bench_common import build_targets, log, read_tsv
from readme_section import write_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = "python3 benchmarks/small_p_anchors.py"


R_SCRIPT = r"""
suppressPackageStartupMessages({library(TruncatedNormal); library(mvtnorm)})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cases <- read.table(file.path(dir, "cases.tsv"), header = TRUE, sep = "\t",
                    stringsAsFactors = FALSE)
cat(sprintf("#version\tTruncatedNormal %s, mvtnorm %s, %s\n",
            as.character(packageVersion("TruncatedNormal")),
            as.character(packageVersion("mvtnorm")), R.version.string))
for (i in seq_len(nrow(cases))) {
  name <- cases$name[i]; k <- cases$k[i]
  R <- unname(as.matrix(read.table(file.path(dir, paste0(name, ".R.txt")))))
  b <- scan(file.path(dir, paste0(name, ".b.txt")), quiet = TRUE)
  set.seed(20240601)
  t <- system.time(o <- tryCatch(mvNqmc(rep(-Inf, k), b, R, 1e4),
                                 error = function(e) e))[["elapsed"]]
  if (inherits(o, "error")) {
    cat(sprintf("%s\tTN\tERROR\t%s\n", name, gsub("[\t\n]", " ", conditionMessage(o))))
  } else {
    cat(sprintf("%s\tTN\tOK\t%.6g\t%.17g\t%.6g\n", name, t, log(o$prob), 3 * o$relErr))
  }
  flush(stdout())
  set.seed(20240601)
  t <- system.time(p <- tryCatch(pmvnorm(upper = b, corr = R,
                     algorithm = GenzBretz(maxpts = 1e6, abseps = 0, releps = 1e-3)),
                   error = function(e) e))[["elapsed"]]
  if (inherits(p, "error")) {
    cat(sprintf("%s\tMVT\tERROR\t%s\n", name, gsub("[\t\n]", " ", conditionMessage(p))))
  } else {
    cat(sprintf("%s\tMVT\tOK\t%.6g\t%.17g\t%.6g\t%s\n", name, t, log(p[1]),
                attr(p, "error") / p[1], gsub("[\t\n]", " ", attr(p, "msg"))))
  }
  flush(stdout())
}
"""


def run_r(case_dir, timeout):
    script = os.path.join(case_dir, "anchors.R")
    with open(script, "w") as f:
        f.write(R_SCRIPT)
    out, version = {}, "?"
    try:
        proc = subprocess.run(["Rscript", "--vanilla", script, case_dir], capture_output=True,
                              text=True, timeout=timeout)
        lines = proc.stdout.splitlines()
        if proc.returncode != 0:
            log(proc.stderr[-2000:])
    except subprocess.TimeoutExpired as exc:
        log("R: time limit reached")
        lines = (exc.stdout or b"").decode().splitlines()
    for line in lines:
        fields = line.split("\t")
        if fields[0] == "#version":
            version = fields[1]
            continue
        name, who, status = fields[:3]
        entry = {"error_msg": fields[3]} if status == "ERROR" else {
            "time": float(fields[3]), "log_p": float(fields[4]), "reported": float(fields[5]),
            "msg": fields[6] if len(fields) > 6 else ""}
        out[(name, who)] = entry
        log("  %-14s %-4s %s" % (name, who, "\t".join(fields[2:])))
    return out, version


def rel_err(log_p, log_truth):
    return abs(math.expm1(log_p - log_truth))


def fmt_time(t):
    return "%.3g s" % t if t >= 1 else "%.3g ms" % (1e3 * t)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600, help="limit for the R run (s)")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    exe = os.path.join(build_targets(args.build_dir, ["small_p_cases"], args.jobs),
                       "small_p_cases")
    with tempfile.TemporaryDirectory(prefix="probust-small-p-") as case_dir:
        log("probust (small_p_cases) ...")
        subprocess.run([exe, "--out", case_dir], check=True, stdout=sys.stderr)
        cases = {c["name"]: c for c in read_tsv(os.path.join(case_dir, "cases.tsv"))}
        probust = {r["name"]: r for r in read_tsv(os.path.join(case_dir, "probust.tsv"))}
        log("TruncatedNormal and mvtnorm ...")
        anchors, version = run_r(case_dir, args.timeout)
        equal = {}
        for name in cases:
            tn = anchors.get((name, "TN"))
            if not tn or "error_msg" in tn or not tn["reported"] > 0:
                continue
            run = subprocess.run([exe, "--filter", name, "--rel-tol", repr(tn["reported"])],
                                 check=True, capture_output=True, text=True)
            rows = [l.split("\t") for l in run.stdout.splitlines()[1:]]
            equal[name] = {"time": float(rows[0][2]), "rel_err": float(rows[0][5]),
                           "reported": float(rows[0][6])}
            log("  equal accuracy %-14s %s" % (name, run.stdout.splitlines()[1]))

    head = ("| case | k | p | probust: rel. error (reported) | time | points "
            "| TruncatedNormal n = 1e4: rel. error (3·relErr) | time "
            "| probust at TN's accuracy: time | speed-up "
            "| mvtnorm releps 1e-3: rel. error (reported) | time |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for name, c in cases.items():
        p = probust[name]
        truth = float(c["log_truth"])
        cells = [name, c["k"], "%.3g" % math.exp(truth) if truth > -700 else "e^%.1f" % truth,
                 "%.1e (%.1e)%s" % (float(p["rel_err"]), float(p["reported_rel"]),
                                    "" if p["converged"] == "1" else ", not converged"),
                 fmt_time(float(p["time_s"])), p["points"]]
        tn = anchors.get((name, "TN"), {"error_msg": "not run"})
        if "error_msg" in tn:
            cells += ["— (%s)" % tn["error_msg"][:60], "—", "—", "—"]
        else:
            cells += ["%.1e (%.1e)" % (rel_err(tn["log_p"], truth), tn["reported"]),
                      fmt_time(tn["time"])]
            e = equal.get(name)
            cells += ([fmt_time(e["time"]), "%.0f×" % (tn["time"] / e["time"])] if e
                      else ["—", "—"])
        mvt = anchors.get((name, "MVT"), {"error_msg": "not run"})
        if "error_msg" in mvt:
            cells += ["— (%s)" % mvt["error_msg"][:60], "—"]
        else:
            ok = "" if mvt["msg"] == "Normal Completion" else ", " + mvt["msg"]
            cells += ["%.1e (%.1e)%s" % (rel_err(mvt["log_p"], truth), mvt["reported"], ok),
                      fmt_time(mvt["time"])]
        lines.append("| " + " | ".join(cells) + " |")
    stamp = "%s, %d CPU(s), load average at the end %s; %s" % (
        datetime.date.today().isoformat(), os.cpu_count(),
        " ".join("%.2f" % x for x in os.getloadavg()), version)
    text = ("Command: `%s` (%s). probust runs with `small_p_rel_tol = 1e-3` (1e-2 at "
            "k = 999); relative errors are against the 1-D integral (equicorrelated, "
            "`eqK_1eE`: k = K, ρ = 1/2, p = 10^E) or the AR(1) Markov recursion (ρ = 0.7; "
            "`ar1_k100` is R mvtnorm's regression case, b = 0.5; `ar1_k999` has b = 2).\n\n"
            % (COMMAND, stamp)) + "\n".join(lines) + "\n"
    print(text)
    if not args.no_readme:
        write_section("small-p", text)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Side-by-side timing and accuracy of probust, R mvtnorm and scipy on the benchmark cases.

Run with Debian's interpreter (it has scipy):

    /usr/bin/python3 benchmarks/compare_anchors.py

Steps:
  1. builds (if needed) and runs the C++ program mvn_cases, which writes every case of
     benchmarks/cases.hpp (correlation matrix, standardized limits, independent truth) into a
     temporary directory and times probust on it (median of >= 5 calls in one process);
  2. times R mvtnorm::pmvnorm(upper = b, corr = R, algorithm = GenzBretz(abseps = tol,
     releps = 0, maxpts = ...)) in one Rscript process (median of repeated calls, measured
     with system.time; k = 999 is timed twice only);
  3. times scipy.stats.multivariate_normal.cdf(b, cov = R, abseps = tol, releps = 0) (the
     paper's anchor), one subprocess per case with a time limit (default 60 s);
  4. writes a markdown table between <!-- anchors:begin --> and <!-- anchors:end --> in
     benchmarks/README.md (with the machine and the command).

All three get the same tolerance (1e-4 absolute for k <= 9, 1e-3 above), the same
correlation matrix and the same limits. For the low-rank cases the anchors get the
singular correlation matrix D^-1 G G^T D^-1 (rank 2); probust gets G itself
(mvn_cdf_from_factor). For the near-one cases the error is relative, on 1 - p.
The whole run takes a few minutes (mvtnorm at k = 999 is the slowest part).
"""

import argparse
import datetime
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from bench_common import build_targets, log, read_tsv
from readme_section import write_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = "/usr/bin/python3 benchmarks/compare_anchors.py"

try:
    import numpy as np
    import scipy
    from scipy.stats import multivariate_normal  # noqa: F401 (checked here, used in child)
except ImportError as exc:  # pragma: no cover
    sys.exit(
        "compare_anchors.py: scipy/numpy not importable with %s (%s).\n"
        "Run it with Debian's interpreter, which has python3-scipy:\n"
        "    /usr/bin/python3 benchmarks/compare_anchors.py\n"
        "(or: apt-get install python3-scipy)" % (sys.executable, exc))


# --------------------------------------------------------------------------- probust ----
# --------------------------------------------------------------------------- mvtnorm ----
R_SCRIPT = r"""
suppressPackageStartupMessages(library(mvtnorm))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cases <- read.table(file.path(dir, "cases.tsv"), header = TRUE, sep = "\t",
                    stringsAsFactors = FALSE)
cat(sprintf("#version\t%s\t%s\n", as.character(packageVersion("mvtnorm")),
            R.version.string))
for (i in seq_len(nrow(cases))) {
  name <- cases$name[i]; tol <- cases$tol[i]; k <- cases$k[i]
  R <- unname(as.matrix(read.table(file.path(dir, paste0(name, ".R.txt")))))
  b <- scan(file.path(dir, paste0(name, ".b.txt")), quiet = TRUE)
  maxpts <- if (k >= 500) 1e5 else 1e6
  alg <- GenzBretz(maxpts = maxpts, abseps = tol, releps = 0)
  # pmvnorm refuses corr = for k = 1 ("sigma not specified"); R is then the 1 x 1 variance.
  call <- if (k == 1) function() pmvnorm(upper = b, sigma = R, algorithm = alg) else
                      function() pmvnorm(upper = b, corr = R, algorithm = alg)
  set.seed(20240601)
  t1 <- system.time(p <- tryCatch(call(), error = function(e) e))[["elapsed"]]
  if (inherits(p, "error")) {
    cat(sprintf("%s\tERROR\t%s\n", name, gsub("[\t\n]", " ", conditionMessage(p))))
    next
  }
  # Median over batches: fast calls are batched so each batch takes >= ~50 ms;
  # slow calls (k = 999) are timed once more only.
  times <- c()
  if (t1 > 2) {
    times <- c(t1, system.time(call())[["elapsed"]])
  } else {
    m <- max(1, ceiling(0.05 / max(t1, 1e-4)))
    batches <- if (t1 > 0.5) 3 else 7
    for (r in seq_len(batches)) {
      times <- c(times, system.time(for (j in seq_len(m)) call())[["elapsed"]] / m)
    }
  }
  cat(sprintf("%s\tOK\t%.6g\t%d\t%.17g\t%.6g\t%s\n", name, median(times), length(times),
              p[1], attr(p, "error"), gsub("[\t\n]", " ", attr(p, "msg"))))
  flush(stdout())
}
"""


def run_mvtnorm(case_dir, timeout):
    script = os.path.join(case_dir, "anchors.R")
    with open(script, "w") as f:
        f.write(R_SCRIPT)
    out = {}
    version = "?"
    try:
        proc = subprocess.Popen(["Rscript", "--vanilla", script, case_dir],
                                stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        log("Rscript not found (apt-get install r-cran-mvtnorm): skipping mvtnorm")
        return out, "not installed"
    start = time.monotonic()
    try:
        for line in proc.stdout:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "#version":
                version = "mvtnorm %s, %s" % (fields[1], fields[2])
                continue
            if fields[1] == "ERROR":
                out[fields[0]] = {"error_msg": fields[2]}
            else:
                out[fields[0]] = {"time": float(fields[2]), "runs": int(fields[3]),
                                  "value": float(fields[4]), "reported": float(fields[5]),
                                  "msg": fields[6]}
            log("  mvtnorm %-16s %s" % (fields[0], "\t".join(fields[1:])))
            if time.monotonic() - start > timeout:
                raise subprocess.TimeoutExpired("Rscript", timeout)
        proc.wait(timeout=max(1, timeout - (time.monotonic() - start)))
    except subprocess.TimeoutExpired:
        log("mvtnorm: overall time limit reached, stopping R")
        proc.kill()
        proc.wait()
    return out, version


# ----------------------------------------------------------------------------- scipy ----
SCIPY_CHILD = r"""
import sys, time, statistics, numpy as np
from scipy.stats import multivariate_normal
d, name, tol, singular = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
R = np.loadtxt(f"{d}/{name}.R.txt", ndmin=2)
b = np.loadtxt(f"{d}/{name}.b.txt", ndmin=1)
def call():
    return multivariate_normal.cdf(b, cov=R, abseps=tol, releps=0, allow_singular=singular)
t = time.perf_counter()
try:
    p = call()
except Exception as e:
    print("ERROR\t" + type(e).__name__ + ": " + str(e).replace("\t", " ").replace("\n", " "))
    sys.exit(0)
times = [time.perf_counter() - t]
print("FIRST\t%.17g\t%.6g" % (p, times[0]), flush=True)
# Repeat (median) while cheap: at least 5 calls when a call is < 0.5 s, up to ~2 s in all.
while len(times) < 50 and sum(times) < 2.0 and (len(times) < 5 or sum(times) < 0.5):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
print("OK\t%.17g\t%.6g\t%d" % (p, statistics.median(times), len(times)), flush=True)
"""


def run_scipy_one(case_dir, name, tol, singular, limit):
    try:
        proc = subprocess.run([sys.executable, "-c", SCIPY_CHILD, case_dir, name, repr(tol),
                               "1" if singular else "0"], capture_output=True, text=True,
                              timeout=limit + 15)  # + loading the matrix
    except subprocess.TimeoutExpired as exc:
        first = [l for l in (exc.stdout or b"").decode().splitlines() if l.startswith("FIRST")]
        if first:
            _, value, t = first[0].split("\t")
            return {"value": float(value), "time": float(t), "runs": 1}
        return {"timeout": limit}
    lines = proc.stdout.splitlines()
    for line in lines:
        fields = line.split("\t")
        if fields[0] == "ERROR":
            return {"error_msg": fields[1]}
        if fields[0] == "OK":
            return {"value": float(fields[1]), "time": float(fields[2]), "runs": int(fields[3])}
    return {"error_msg": "no result (exit %d): %s" % (proc.returncode, proc.stderr.strip()[-200:])}


def run_scipy(case_dir, cases, limit):
    out = {}
    for c in cases:
        name, tol = c["name"], float(c["tol"])
        r = run_scipy_one(case_dir, name, tol, False, limit)
        if "error_msg" in r and c["kind"] == "low_rank":
            # The default call refuses the singular covariance; report what the documented
            # escape hatch returns.
            r2 = run_scipy_one(case_dir, name, tol, True, limit)
            r2["default_error"] = r["error_msg"]
            r = r2
        out[name] = r
        log("  scipy   %-16s %s" % (name, r))
    return out


# ------------------------------------------------------------------------------ table ----
def fmt_ms(seconds):
    ms = 1e3 * seconds
    if ms >= 1000:
        return "%.2f s" % (ms / 1e3)
    if ms >= 10:
        return "%.0f ms" % ms
    if ms >= 1:
        return "%.1f ms" % ms
    if ms >= 0.01:
        return "%.3f ms" % ms
    return "%.1f µs" % (ms * 1e3)


def fmt_err(x):
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return "%.1e" % x


def error_of(kind, truth, value):
    """|p - truth|, or for near_one the relative error of 1 - p (value is p)."""
    if kind == "near_one":
        return abs((1.0 - value) - truth) / truth
    return abs(value - truth)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            txt = f.read()
        flags = "AVX-512" if "avx512f" in txt else ("AVX2" if "avx2" in txt else "")
    except OSError:
        pass
    try:
        load = "; load average at the end of the run %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = ""
    return "%s CPU(s) (nproc), %s%s, %s%s" % (os.cpu_count(), model,
                                             (", " + flags) if flags else "",
                                             platform.platform(), load)


def make_table(cases, probust, mvt, sp, versions):
    notes = []
    rows = ["| case | k | tol | truth | probust time | probust error (reported) "
            "| mvtnorm time | mvtnorm error (reported) | scipy time | scipy error "
            "| speed-up vs mvtnorm |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        name, kind, truth = c["name"], c["kind"], float(c["truth"])
        pr = probust.get(name)
        if pr:
            ptime = float(pr["time_s"])
            pcell_t = fmt_ms(ptime)
            pcell_e = "%s (%s)" % (fmt_err(float(pr["abs_err"])), fmt_err(float(pr["reported_err"])))
            if pr["converged"] != "1":
                pcell_e += " **not converged**"
        else:
            ptime, pcell_t, pcell_e = None, "–", "–"
        m = mvt.get(name)
        speed = "–"
        if m is None:
            mcell_t, mcell_e = "–", "not run"
        elif "error_msg" in m:
            mcell_t, mcell_e = "–", "error: " + m["error_msg"]
        else:
            mcell_t = fmt_ms(m["time"]) + ("" if m["runs"] > 2 else " (%d runs)" % m["runs"])
            rep = m["reported"] / max(1e-300, truth) if kind == "near_one" else m["reported"]
            mcell_e = "%s (%s)" % (fmt_err(error_of(kind, truth, m["value"])), fmt_err(rep))
            if m["msg"] != "Normal Completion":
                mcell_e += " " + m["msg"]
            if kind == "near_one":
                mcell_e += ", 1−p = %.2g" % (1.0 - m["value"])
            if ptime:
                speed = "%.1f×" % (m["time"] / ptime)
        s = sp.get(name)
        if s is None:
            scell_t, scell_e = "–", "not run"
        elif "timeout" in s:
            scell_t, scell_e = "time-out (> %g s)" % s["timeout"], "–"
        elif "error_msg" in s:
            scell_t, scell_e = "–", "error: " + s["error_msg"][:80]
        else:
            scell_t = fmt_ms(s["time"])
            scell_e = fmt_err(error_of(kind, truth, s["value"]))
            if s["value"] == 0.0:
                scell_e += " (returned 0)"
                if "zero" not in notes:
                    notes.append("zero")
            if kind == "near_one":
                scell_e += ", 1−p = %.2g" % (1.0 - s["value"])
            if "default_error" in s:
                scell_e += " †"
                if "singular" not in notes:
                    notes.append("singular")
                    notes.append(s["default_error"])
        truth_cell = ("1−p = %.4g" % truth) if kind == "near_one" else "%.6f" % truth
        rows.append("| %s | %d | %.0e | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, int(c["k"]), float(c["tol"]), truth_cell, pcell_t, pcell_e, mcell_t, mcell_e,
            scell_t, scell_e, speed))
    text = "\n".join(rows) + "\n\n"
    text += ("Errors are |p − truth| (reported: the method's own error estimate); for the "
             "near_one rows they are relative errors of 1 − p (probust's `complement`; "
             "1 − p for the anchors). Times are medians of repeated calls on one core.\n")
    if "singular" in notes:
        msg = notes[notes.index("singular") + 1]
        text += ("\n† scipy refuses the singular correlation matrix of the low-rank cases by "
                 "default (`%s`); the number shown is with `allow_singular=True`.\n" % msg)
    if "zero" in notes:
        text += ("\nscipy returns exactly 0 without any warning for k > 500 (its Fortran "
                 "code's dimension limit).\n")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"),
                    help="CMake build directory with -DPROBUST_BUILD_BENCHMARKS=ON "
                         "(configured and built if needed; default: build-bench)")
    ap.add_argument("--mvn-cases", help="use this mvn_cases executable instead of building it")
    ap.add_argument("--scipy-limit", type=float, default=60.0,
                    help="per-case time limit of scipy, seconds (default 60)")
    ap.add_argument("--mvtnorm-limit", type=float, default=480.0,
                    help="overall time limit of the mvtnorm run, seconds (default 480)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary case files")
    ap.add_argument("--no-readme", action="store_true", help="print the table only")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="build jobs (default 2)")
    args = ap.parse_args()

    started = time.monotonic()
    exe = args.mvn_cases or os.path.join(
        build_targets(os.path.abspath(args.build_dir), ["mvn_cases"], args.jobs), "mvn_cases")
    case_dir = tempfile.mkdtemp(prefix="probust-anchors-")
    try:
        log("probust (mvn_cases) -> %s" % case_dir)
        proc = subprocess.run([exe, "--out", case_dir], check=True, stdout=subprocess.PIPE,
                              text=True)
        log(proc.stdout.rstrip())
        cases = read_tsv(os.path.join(case_dir, "cases.tsv"))
        probust = {r["name"]: r for r in read_tsv(os.path.join(case_dir, "probust.tsv"))}
        log("mvtnorm ...")
        mvt, mvt_version = run_mvtnorm(case_dir, args.mvtnorm_limit)
        log("scipy ...")
        sp = run_scipy(case_dir, cases, args.scipy_limit)
    finally:
        if args.keep:
            log("case files kept in %s" % case_dir)
        else:
            shutil.rmtree(case_dir, ignore_errors=True)

    versions = "probust %s; %s; scipy %s, numpy %s, Python %s" % (
        git_describe(), mvt_version, scipy.__version__, np.__version__,
        platform.python_version())
    section = make_table(cases, probust, mvt, sp, versions)
    section = ("Generated by `%s` on %s in %.0f s.\n\n"
               "Machine: %s.\n\nVersions: %s.\n\n" % (
                   COMMAND, datetime.date.today().isoformat(), time.monotonic() - started,
                   machine(), versions)) + section
    print(section)
    if not args.no_readme:
        write_section("anchors", section)
        log("table written to benchmarks/README.md")


def git_describe():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "include"],
                               capture_output=True, text=True).stdout.strip()
        return (rev or "?") + (" + uncommitted include/ changes" if dirty else "")
    except OSError:
        return "?"


if __name__ == "__main__":
    main()

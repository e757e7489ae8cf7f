"""Shared by the benchmark scripts: logging, building benchmark programs, running a Google
Benchmark program, and reading the tab-separated files the case programs write.
(README sections are written by readme_section.py.)"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    """A progress line on stderr (stdout carries the tables)."""
    print(msg, file=sys.stderr, flush=True)


def build_targets(build_dir, targets, jobs=2, examples=False):
    """Configures build_dir (Release, benchmarks on; examples too if asked) unless it is
    configured already (an existing one is reconfigured to add the examples when they are
    asked for), then builds `targets`. Returns build_dir/benchmarks."""
    if examples or not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        log("configuring %s ..." % build_dir)
        options = ["-DPROBUST_BUILD_BENCHMARKS=ON", "-DCMAKE_BUILD_TYPE=Release"]
        if examples:
            options.append("-DPROBUST_BUILD_EXAMPLES=ON")
        subprocess.run(["cmake", "-S", ROOT, "-B", build_dir] + options, check=True,
                       stdout=subprocess.DEVNULL)
    log("building %s in %s ..." % (", ".join(targets), build_dir))
    subprocess.run(["cmake", "--build", build_dir, "--target"] + list(targets) +
                   ["-j", str(jobs)], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "benchmarks")


def run_google_benchmark(build_dir, target, points, extra_args=()):
    """Builds and runs the Google Benchmark program `target` with PROBUST_BENCH_POINTS =
    points; returns its JSON output (a dict)."""
    exe = os.path.join(build_targets(build_dir, [target]), target)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        env = dict(os.environ, PROBUST_BENCH_POINTS=str(points))
        subprocess.run([exe] + list(extra_args) +
                       ["--benchmark_out=" + out, "--benchmark_out_format=json"],
                       check=True, env=env)
        with open(out) as f:
            return json.load(f)


def read_tsv(path):
    """The rows of a tab-separated file with a header line, as dicts of strings."""
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]

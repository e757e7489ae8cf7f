#!/usr/bin/python3
"""Test of plot_results.py on a small synthetic results file.

    /usr/bin/python3 examples/python/test_plot_results.py

(ctest runs it as python_plot_results.) Without matplotlib it prints why and exits 77,
which ctest reports as skipped.

It writes results in the schema of docs/dataset_format.md — 6 points with labels, the
estimators taylor and monte_carlo, σ = 0.1 and 0.2, plus an error row whose message needs
CSV quoting and spans two lines — as CSV and as JSON Lines, runs plot_results.py on each,
and checks that scatter.png, curves.png and classes.png are written and are PNG files
(signature, IHDR) of a sensible size; that a file with one σ skips curves.png and says
why; and that malformed files fail (non-zero exit) with the file and line in the message.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import matplotlib  # noqa: F401  (only its presence is tested here)
except ImportError:
    print("SKIPPED: python3-matplotlib is not installed (apt-get install python3-matplotlib)")
    print("(interpreter: %s; configure with -DPython3_EXECUTABLE=/usr/bin/python3 to use "
          "Debian's)" % sys.executable)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "plot_results.py")
COLUMNS = ["point_id", "label", "estimator", "sigma", "predicted_class", "probability",
           "lower", "upper", "complement", "error", "converged", "model_evaluations",
           "samples", "jacobian", "variance_reduction", "seconds", "status", "message"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)
    return condition


def synthetic_rows(sigmas=(0.1, 0.2)):
    """Rows as probust::run_dataset would give them (values made up, shapes realistic)."""
    rows = []
    for point in range(6):
        label = point % 3
        for sigma in sigmas:
            p_true = max(0.05, min(0.999, 1.0 - 0.12 * point - 1.5 * sigma))
            taylor = min(1.0, p_true + 0.01 * (point - 2))
            mc_half = 0.02
            for name, p, low, high, samples in (
                    ("taylor", taylor, taylor - 1e-5, min(1.0, taylor + 1e-5), 0),
                    ("monte_carlo", p_true, max(0.0, p_true - mc_half),
                     min(1.0, p_true + mc_half), 10000)):
                rows.append({"point_id": point, "label": label, "estimator": name,
                             "sigma": sigma, "predicted_class": label, "probability": p,
                             "lower": low, "upper": high, "complement": 1.0 - p,
                             "error": (high - low) / 2, "converged": True,
                             "model_evaluations": samples or 1, "samples": samples,
                             "jacobian": "user" if samples == 0 else "not_used",
                             "variance_reduction": 0.0, "seconds": 0.001, "status": "ok",
                             "message": ""})
    # A failed estimate: meaningless numbers, a message with a comma, quotes and a newline.
    rows.append({"point_id": 6, "label": None, "estimator": "taylor", "sigma": 0.1,
                 "predicted_class": -1, "probability": float("nan"), "lower": float("nan"),
                 "upper": float("nan"), "complement": float("nan"), "error": float("nan"),
                 "converged": False, "model_evaluations": 0, "samples": 0,
                 "jacobian": "not_used", "variance_reduction": 0.0, "seconds": 0.0,
                 "status": "error", "message": 'model threw "bad input", see\nthe log'})
    return rows


def csv_field(value):
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "%.17g" % value
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path, rows):
    with open(path, "w", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        for row in rows:
            out.write(",".join(csv_field(row[c]) for c in COLUMNS) + "\n")


def write_jsonl(path, rows):
    with open(path, "w") as out:
        for row in rows:
            clean = {c: (None if isinstance(row[c], float) and row[c] != row[c] else row[c])
                     for c in COLUMNS}
            out.write(json.dumps(clean, separators=(",", ":")) + "\n")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True)


def check_png(path):
    """A PNG file (signature and IHDR chunk) of a sensible size for a ~6 × 4 in, 150 dpi
    figure."""
    if not check(os.path.isfile(path), "%s was not written" % path):
        return
    with open(path, "rb") as f:
        head = f.read(24)
    size = os.path.getsize(path)
    if not check(head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR",
                 "%s is not a PNG file (starts with %r)" % (path, head[:16])):
        return
    width, height = struct.unpack(">II", head[16:24])
    check(600 <= width <= 4000 and 400 <= height <= 4000,
          "%s is %d × %d pixels, expected roughly 900 × 600 or a few panels more"
          % (path, width, height))
    check(5000 <= size <= 2000000, "%s has %d bytes" % (path, size))
    return width, height


def test_figures(tmp):
    rows = synthetic_rows()
    for name, writer in (("results.csv", write_csv), ("results.jsonl", write_jsonl)):
        path = os.path.join(tmp, name)
        writer(path, rows)
        out_dir = os.path.join(tmp, "figures-" + name.split(".")[1])
        done = run(path, "--out-dir", out_dir)
        if not check(done.returncode == 0, "%s: exit %d, stderr %r"
                     % (name, done.returncode, done.stderr)):
            continue
        check("error rows left out: 1" in done.stdout,
              "%s: the error row is not reported: %r" % (name, done.stdout))
        sizes = [check_png(os.path.join(out_dir, figure))
                 for figure in ("scatter.png", "curves.png", "classes.png")]
        print("ok   %s: scatter, curves, classes written (%s)"
              % (name, ", ".join("%d×%d" % s for s in sizes if s)))


def test_one_sigma(tmp):
    path = os.path.join(tmp, "one_sigma.csv")
    write_csv(path, synthetic_rows(sigmas=(0.1,)))
    out_dir = os.path.join(tmp, "figures-one-sigma")
    done = run(path, "--out-dir", out_dir, "--estimator", "taylor")
    check(done.returncode == 0, "one σ: exit %d, stderr %r" % (done.returncode, done.stderr))
    check("skipped curves.png" in done.stdout and "σ" in done.stdout,
          "one σ: no reason given for skipping curves.png: %r" % done.stdout)
    check(not os.path.exists(os.path.join(out_dir, "curves.png")), "one σ: curves.png written")
    check(os.path.exists(os.path.join(out_dir, "scatter.png")),
          "one σ: scatter.png missing (the reference is kept with --estimator)")
    print("ok   one σ: curves.png skipped with the reason, the others written")


def test_malformed(tmp):
    good = os.path.join(tmp, "results.csv")
    with open(good, newline="") as f:
        lines = f.read().split("\n")
    # The error row spans lines 26-27 (its message has a newline); the row after it is 28.
    cases = []
    broken = list(lines)
    broken[4] = broken[4].replace(",ok,", ",maybe,")
    cases.append(("bad_status.csv", broken, "bad_status.csv:5:"))
    broken = list(lines)
    fields = broken[2].split(",")
    fields[5] = "abc"
    broken[2] = ",".join(fields)
    cases.append(("bad_number.csv", broken, "bad_number.csv:3:"))
    broken = list(lines)
    broken.insert(27, broken[1].rsplit(",", 2)[0])  # a row with two fields too few
    cases.append(("short_row.csv", broken, "short_row.csv:28:"))
    broken = list(lines)
    broken[0] = broken[0].replace("probability", "probabilty")
    cases.append(("bad_header.csv", broken, "bad_header.csv:1:"))
    for name, content, expected in cases:
        path = os.path.join(tmp, name)
        with open(path, "w", newline="") as f:
            f.write("\n".join(content))
        done = run(path, "--out-dir", os.path.join(tmp, "figures-bad"))
        check(done.returncode != 0 and expected in done.stderr,
              "%s: exit %d, expected %r in stderr %r"
              % (name, done.returncode, expected, done.stderr))
    jsonl = os.path.join(tmp, "results.jsonl")
    with open(jsonl) as f:
        lines = f.read().split("\n")
    lines[3] = lines[3][:-1]  # cut the closing brace
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write("\n".join(lines))
    done = run(bad, "--out-dir", os.path.join(tmp, "figures-bad"))
    check(done.returncode != 0 and "bad.jsonl:4:" in done.stderr,
          "bad.jsonl: exit %d, stderr %r" % (done.returncode, done.stderr))
    check(not os.path.exists(os.path.join(tmp, "figures-bad")),
          "figures were written for a malformed file")
    print("ok   %d malformed files refused with <file>:<line>" % (len(cases) + 1))


def main():
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="probust-plot-") as tmp:
        test_figures(tmp)
        test_one_sigma(tmp)
        test_malformed(tmp)
    print("%s in %.1f s" % ("FAILED (%d checks)" % len(failures) if failures else "passed",
                            time.time() - start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

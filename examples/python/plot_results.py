#!/usr/bin/python3
"""Figures from probust dataset results: how the estimators compare, p(σ), robustness per class.

    /usr/bin/python3 examples/python/plot_results.py RESULTS... --out-dir DIR
                     [--estimator NAME ...] [--reference monte_carlo] [--points ID ...]

RESULTS are files written by probust::write_csv / probust::write_jsonl (or probust-cli):
CSV (.csv) or JSON Lines (.jsonl, .json), one row per (point, estimator, σ), columns as in
docs/dataset_format.md. Several files (shards, runs at other σ) are read as one table. It
writes into DIR, as far as the data allows:

  scatter.png  each estimator against the reference (Monte Carlo by default): one panel
               per estimator, a dot per (point, σ) with the estimator's [lower, upper]
               vertically and the reference's confidence interval horizontally, the
               diagonal, and the agreement as probust::agreement computes it — mean
               absolute error, Spearman's ρ, the fraction inside the reference's interval.
               Needs rows of the reference and of another estimator for the same points.
  curves.png   p(σ) for a handful of points (the two most and two least robust by the
               reference, or by the first estimator, averaged over σ; or --points), one
               panel per point, a line per estimator with its [lower, upper] band. Needs
               two or more noise levels σ.
  classes.png  mean p per class with a 95% Student-t interval (as probust::per_class_summary:
               mean ∓ t·s/√m, [0, 1] for a single point), a bar per estimator in each class
               group, one panel per σ (at most four). Classes are the true labels when every
               row has one, else the predicted classes.

It says which figures it skipped and why (and removes an older file of a skipped
figure's name from DIR, so that no stale figure passes for this run's). Rows with status
`error` are left out (and counted); `not_converged` rows are plotted. --estimator limits
the figures to the named estimators (the reference is kept for the scatter plot).

Exit status: 0 when at least one figure was written; 1 for a bad or unreadable results
file (the message names the file and the line) or when no figure could be drawn; 2 for
bad usage. Needs matplotlib (python3-matplotlib); it draws with the Agg backend, no
display needed.
"""

import argparse
import csv
import json
import math
import os
import re
import sys

PROGRAM = "plot_results.py"
STATUSES = ("ok", "not_converged", "error")
# The columns the figures use (a file may have the others of docs/dataset_format.md too).
REQUIRED = ("point_id", "label", "estimator", "sigma", "predicted_class", "probability",
            "lower", "upper", "status")
DPI = 150
MAX_CLASS_PANELS = 4


class ResultsError(Exception):
    """A results file that cannot be read; the message starts with '<file>:<line>: '."""


# --- reading ------------------------------------------------------------------------------


INTEGER = re.compile(r"-?[0-9]+\Z")
DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")


def _integer(value, column, where, allow_missing=False):
    """An integer field: a JSON integer or decimal digits (CSV); '' / null if allowed."""
    if allow_missing and value in ("", None):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.match(value):
        return int(value)
    raise ResultsError("%s: column '%s': %s is not an integer%s"
                       % (where, column, json.dumps(value), " or empty" if allow_missing else ""))


def _number(value, column, where, allow_missing=False):
    """A double field: a JSON number, a decimal literal, "inf" / "-inf"; '' / null (NaN)
    if allowed."""
    if allow_missing and value in ("", None):
        return math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and (value in ("inf", "-inf") or DECIMAL.match(value)):
        return float(value)
    raise ResultsError("%s: column '%s': %s is not a number" % (where, column, json.dumps(value)))


def _row(fields, where):
    """A results row (dict) from the raw fields of one line (strings, or JSON values)."""
    status = fields["status"]
    if status not in STATUSES:
        raise ResultsError("%s: column 'status': '%s' is not one of %s"
                           % (where, status, ", ".join(STATUSES)))
    estimator = fields["estimator"]
    if not isinstance(estimator, str) or not estimator:
        raise ResultsError("%s: column 'estimator': expected a name, found %r" % (where, estimator))
    row = {
        "where": where,
        "point_id": _integer(fields["point_id"], "point_id", where),
        "label": _integer(fields["label"], "label", where, allow_missing=True),
        "estimator": estimator,
        "sigma": _number(fields["sigma"], "sigma", where, allow_missing=True),
        "predicted_class": _integer(fields["predicted_class"], "predicted_class", where),
        "status": status,
    }
    for column in ("probability", "lower", "upper"):
        if status == "error":  # meaningless numbers (NaN, inf, defaults): not read
            row[column] = math.nan
            continue
        row[column] = _number(fields[column], column, where)
        if not (math.isfinite(row[column]) and 0.0 <= row[column] <= 1.0):
            raise ResultsError("%s: column '%s': %s is not a probability in [0, 1] on a row "
                               "with status '%s'" % (where, column, fields[column], status))
    if row["label"] is not None and row["label"] < 0:
        row["label"] = None  # −1 is "no label" in memory; the writers leave it empty
    return row


def _read_csv(path, text):
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    rows = []
    try:
        header = next(reader, None)
        if header is None:
            raise ResultsError("%s:1: the file is empty (expected the header line)" % path)
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ResultsError("%s:1: missing column '%s' (is this a probust results file? "
                               "columns: docs/dataset_format.md)" % (path, missing[0]))
        line = reader.line_num + 1  # where the next record starts
        for fields in reader:
            where = "%s:%d" % (path, line)
            line = reader.line_num + 1
            if not fields:
                continue  # a blank line
            if len(fields) != len(header):
                raise ResultsError("%s: %d fields, expected %d" % (where, len(fields), len(header)))
            rows.append(_row(dict(zip(header, fields)), where))
    except csv.Error as exc:
        raise ResultsError("%s:%d: %s" % (path, reader.line_num, exc))
    return rows


def _read_jsonl(path, text):
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = "%s:%d" % (path, number)
        try:
            fields = json.loads(line)
        except ValueError as exc:
            raise ResultsError("%s: not a JSON object: %s" % (where, exc))
        if not isinstance(fields, dict):
            raise ResultsError("%s: expected a JSON object, found %s"
                               % (where, type(fields).__name__))
        missing = [c for c in REQUIRED if c not in fields]
        if missing:
            raise ResultsError("%s: missing key '%s'" % (where, missing[0]))
        rows.append(_row(fields, where))
    return rows


def read_results(path):
    """The rows of one CSV or JSON Lines results file (format by extension, else by the
    first character: '{' is JSON Lines). Raises ResultsError naming the file and line."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError("%s: cannot read: %s" % (path, exc))
    extension = os.path.splitext(path)[1].lower()
    jsonl = extension in (".jsonl", ".json") or (extension != ".csv" and
                                                 text.lstrip().startswith("{"))
    rows = _read_jsonl(path, text) if jsonl else _read_csv(path, text)
    if not rows:
        raise ResultsError("%s: no result rows" % path)
    return rows


def _sigma_key(sigma):
    # NaN σ (non-isotropic noise) as +inf, so such rows pair up (as probust::agreement).
    return math.inf if math.isnan(sigma) else sigma


def _sigma_text(sigma):
    return "non-isotropic noise" if math.isnan(sigma) else "σ = %g" % sigma


def load(paths):
    """All rows of `paths`, checked for duplicate (point, estimator, σ)."""
    rows, seen = [], {}
    for path in paths:
        for row in read_results(path):
            key = (row["point_id"], row["estimator"], _sigma_key(row["sigma"]))
            if key in seen:
                raise ResultsError("%s: point %d, estimator '%s', %s appears twice (first at %s)"
                                   % (row["where"], key[0], key[1], _sigma_text(row["sigma"]),
                                      seen[key]))
            seen[key] = row["where"]
            rows.append(row)
    return rows


# --- statistics (as include/probust/summary.hpp) -----------------------------------------


def _average_ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def _pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


def spearman(x, y):
    """Spearman's rank correlation (ties → average ranks; 0 when either is constant)."""
    return _pearson(_average_ranks(x), _average_ranks(y))


def _incomplete_beta(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) +
                     a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * f


def t_quantile(probability, dof):
    """The quantile of Student's t with `dof` degrees of freedom, for probability > 1/2
    (bisection on the CDF 1 − ½ I_{ν/(ν+t²)}(ν/2, ½); 1e-12 accurate)."""
    def upper_tail(t):
        return 0.5 * _incomplete_beta(0.5 * dof, 0.5, dof / (dof + t * t))
    low, high = 0.0, 1.0
    while upper_tail(high) > 1.0 - probability:
        high *= 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if upper_tail(middle) > 1.0 - probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * high:
            break
    return 0.5 * (low + high)


def class_interval(values, confidence=0.95):
    """(mean, lower, upper): the Student-t interval of the mean, clipped to [0, 1]; [0, 1]
    for fewer than two values (probust::per_class_summary)."""
    m = len(values)
    mean = sum(values) / m
    if m < 2:
        return mean, 0.0, 1.0
    deviation = math.sqrt(sum((v - mean) ** 2 for v in values) / (m - 1))
    half = t_quantile(0.5 + confidence / 2.0, m - 1) * deviation / math.sqrt(m)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


# --- figures ------------------------------------------------------------------------------

P_LABEL = "p(x) = P[argmax f(x + ε) = t]"


def _grid(count, columns):
    """(columns, rows) of a grid for `count` panels, at most `columns` wide (2 × 2 for 4)."""
    columns = 2 if count == 4 else min(columns, count)
    return columns, (count + columns - 1) // columns


def _colors(estimators):
    palette = ["C%d" % i for i in range(10)]
    return {name: palette[i % len(palette)] for i, name in enumerate(estimators)}


def plot_scatter(plt, rows, estimators, reference, path):
    """Estimator vs reference scatter; returns None or the reason it was skipped."""
    reference_rows = {(r["point_id"], _sigma_key(r["sigma"])): r for r in rows
                      if r["estimator"] == reference and r["status"] != "error"}
    if not reference_rows:
        return "no rows of the reference estimator '%s' (choose one with --reference)" % reference
    panels = []
    for name in estimators:
        if name == reference:
            continue
        pairs = [(reference_rows[key], r) for r in rows
                 if r["estimator"] == name and r["status"] != "error"
                 for key in [(r["point_id"], _sigma_key(r["sigma"]))] if key in reference_rows]
        if pairs:
            panels.append((name, pairs))
    if not panels:
        return "no estimator other than '%s' has rows for the same points and σ" % reference
    sigmas = sorted({_sigma_key(ref["sigma"]) for _, pairs in panels for ref, _ in pairs})
    sigma_colors = {s: "C%d" % (i % 10) for i, s in enumerate(sigmas)}
    columns, lines = _grid(len(panels), 3)
    size = (6.0, 4.5) if len(panels) == 1 else (3.6 * columns + 0.4, 3.5 * lines + 0.6)
    fig, axes = plt.subplots(lines, columns, figsize=size, squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (name, pairs) in zip(axes.flat, panels):
        for sigma in sigmas:
            chosen = [(ref, r) for ref, r in pairs if _sigma_key(ref["sigma"]) == sigma]
            if not chosen:
                continue
            x = [ref["probability"] for ref, _ in chosen]
            y = [r["probability"] for _, r in chosen]
            xerr = [[max(0.0, ref["probability"] - ref["lower"]) for ref, _ in chosen],
                    [max(0.0, ref["upper"] - ref["probability"]) for ref, _ in chosen]]
            yerr = [[max(0.0, r["probability"] - r["lower"]) for _, r in chosen],
                    [max(0.0, r["upper"] - r["probability"]) for _, r in chosen]]
            label = _sigma_text(math.nan if sigma == math.inf else sigma)
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", markersize=2.5, elinewidth=0.8,
                        capsize=0, alpha=0.8, color=sigma_colors[sigma], label=label)
        ax.plot([0, 1], [0, 1], color="0.4", linewidth=0.8, linestyle="--", zorder=0)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        p = [r["probability"] for _, r in pairs]
        q = [ref["probability"] for ref, _ in pairs]
        mae = sum(abs(a - b) for a, b in zip(p, q)) / len(p)
        inside = sum(ref["lower"] <= r["probability"] <= ref["upper"] for ref, r in pairs)
        ax.text(0.04, 0.96, "MAE %.3g\nSpearman ρ %.3f\nin %s interval %.0f%%\nn = %d"
                % (mae, spearman(p, q), reference, 100.0 * inside / len(pairs), len(pairs)),
                transform=ax.transAxes, va="top", ha="left", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.7", alpha=0.9))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("%s p (interval →)" % reference, fontsize=9)
        ax.set_ylabel("%s p (interval ↑)" % name, fontsize=9)
        ax.tick_params(labelsize=8)
        if len(sigmas) > 1:
            ax.legend(loc="lower right", fontsize=7, title="noise", title_fontsize=7)
    fig.suptitle("Estimators against %s (one dot per point and σ)" % reference, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return None


def choose_points(rows, estimators, reference, requested):
    """The point ids for the p(σ) curves and the estimator that ranked them."""
    curves = {}
    for r in rows:
        if r["status"] != "error" and not math.isnan(r["sigma"]):
            curves.setdefault((r["estimator"], r["point_id"]), set()).add(r["sigma"])
    candidates = {point for (_, point), sigmas in curves.items() if len(sigmas) >= 2}
    if requested:
        unknown = [p for p in requested if p not in candidates]
        if unknown:
            raise ResultsError("--points: no p(σ) curve (two or more σ) for point%s %s"
                               % ("s" if len(unknown) > 1 else "",
                                  ", ".join(str(p) for p in unknown)))
        return list(requested), None
    ranker = reference if any(r["estimator"] == reference for r in rows) else estimators[0]
    means = {}
    for r in rows:
        if r["estimator"] == ranker and r["status"] != "error" and r["point_id"] in candidates:
            means.setdefault(r["point_id"], []).append(r["probability"])
    order = sorted(means, key=lambda p: (sum(means[p]) / len(means[p]), p))
    chosen = order[-2:][::-1] + [p for p in order[:2] if p not in order[-2:]]
    return chosen, ranker


def plot_curves(plt, rows, estimators, reference, requested, path):
    """p(σ) curves; returns None or the reason it was skipped."""
    sigmas = {r["sigma"] for r in rows if not math.isnan(r["sigma"])}
    if len(sigmas) < 2:
        return ("the rows have %s; p(σ) curves need two or more noise levels σ"
                % ("one σ (%g)" % next(iter(sigmas)) if sigmas else "no isotropic σ"))
    chosen, ranker = choose_points(rows, estimators, reference, requested)
    if not chosen:
        return "no point has estimates at two or more σ"
    colors = _colors(estimators)
    columns, lines = _grid(len(chosen), 3)
    size = (6.0, 4.0) if len(chosen) == 1 else (3.4 * columns + 0.4, 3.0 * lines + 1.0)
    fig, axes = plt.subplots(lines, columns, figsize=size, squeeze=False, sharey=True)
    for ax in axes.flat[len(chosen):]:
        ax.set_visible(False)
    handles = {}
    for ax, point in zip(axes.flat, chosen):
        label = None
        for name in estimators:
            series = sorted((r["sigma"], r) for r in rows
                            if r["estimator"] == name and r["point_id"] == point
                            and r["status"] != "error" and not math.isnan(r["sigma"]))
            if len(series) < 1:
                continue
            label = series[0][1]["label"] if label is None else label
            s = [sigma for sigma, _ in series]
            line, = ax.plot(s, [r["probability"] for _, r in series], marker="o",
                            markersize=3, linewidth=1.2, color=colors[name], label=name)
            ax.fill_between(s, [r["lower"] for _, r in series],
                            [r["upper"] for _, r in series], color=colors[name], alpha=0.2,
                            linewidth=0)
            handles[name] = line
        ax.set_title("point %d%s" % (point, "" if label is None else " (label %d)" % label),
                     fontsize=10)
        ax.set_xlabel("noise level σ", fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(P_LABEL, fontsize=9)
    how = ("points chosen with --points" if ranker is None else
           "the most and least robust points by %s (mean over σ)" % ranker)
    fig.suptitle("Robustness as the noise grows: %s\nbands: each estimator's [lower, upper]"
                 % how, fontsize=10)
    fig.legend([handles[n] for n in estimators if n in handles],
               [n for n in estimators if n in handles], loc="lower center",
               ncol=min(4, len(handles)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, (0.08 if lines == 1 else 0.05) * (1 + (len(handles) > 4)), 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return None


def plot_classes(plt, rows, estimators, path, notes):
    """Mean p per class with t intervals; returns None or the reason it was skipped."""
    usable = [r for r in rows if r["status"] != "error"]
    if not usable:
        return "every row is an error row"
    by_label = all(r["label"] is not None for r in usable)
    key = "label" if by_label else "predicted_class"
    sigmas = sorted({_sigma_key(r["sigma"]) for r in usable})
    if len(sigmas) > MAX_CLASS_PANELS:
        step = (len(sigmas) - 1) / (MAX_CLASS_PANELS - 1)
        sigmas = [sigmas[round(i * step)] for i in range(MAX_CLASS_PANELS)]
        notes.append("classes.png shows %d of the σ values: %s"
                     % (MAX_CLASS_PANELS, ", ".join("%g" % s for s in sigmas)))
    classes = sorted({r[key] for r in usable})
    colors = _colors(estimators)
    width = 0.8 / len(estimators)
    columns, lines = _grid(len(sigmas), 2)
    panel_width = max(5.0, 0.45 * len(classes) * max(1.0, len(estimators) / 2.0))
    fig, axes = plt.subplots(lines, columns, squeeze=False, sharey=True,
                             figsize=(max(6.0, panel_width * columns), 0.8 + 3.2 * lines))
    for ax in axes.flat[len(sigmas):]:
        ax.set_visible(False)
    handles = {}
    for ax, sigma in zip(axes.flat, sigmas):
        for e, name in enumerate(estimators):
            xs, means, err_low, err_high = [], [], [], []
            for c, cls in enumerate(classes):
                values = [r["probability"] for r in usable if r["estimator"] == name
                          and r[key] == cls and _sigma_key(r["sigma"]) == sigma]
                if not values:
                    continue
                mean, low, high = class_interval(values)
                xs.append(c - 0.4 + width * (e + 0.5))
                means.append(mean)
                err_low.append(max(0.0, mean - low))
                err_high.append(max(0.0, high - mean))
            if xs:
                handles[name] = ax.bar(xs, means, width=width * 0.95, color=colors[name],
                                       label=name, yerr=[err_low, err_high], capsize=2,
                                       error_kw=dict(elinewidth=0.8))
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels([str(c) for c in classes], fontsize=8)
        ax.set_xlabel("true label" if by_label else "predicted class", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.tick_params(labelsize=8)
        ax.set_title(_sigma_text(math.nan if sigma == math.inf else sigma), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("mean p over the points", fontsize=9)
    fig.suptitle("Mean robustness per %s (error bars: 95%% Student-t interval of the mean)"
                 % ("true label" if by_label else "predicted class"), fontsize=10)
    names = [n for n in estimators if n in handles]
    fig.legend([handles[n] for n in names], names, loc="lower center",
               ncol=min(4, len(names)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08 if lines == 1 else 0.05, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    if not by_label:
        notes.append("classes.png groups by predicted class (not every row has a label)")
    return None


def _split(values, parse=str):
    out = []
    for value in values or []:
        out.extend(parse(v) for v in value.split(",") if v.strip())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Figures (scatter.png, curves.png, classes.png) from probust dataset "
                    "results (CSV or JSON Lines, docs/dataset_format.md).")
    parser.add_argument("results", nargs="+", help="results files (.csv, .jsonl)")
    parser.add_argument("--out-dir", required=True, help="directory for the PNG files")
    parser.add_argument("--estimator", action="append", metavar="NAME",
                        help="plot only these estimators (repeat or separate by commas)")
    parser.add_argument("--reference", default="monte_carlo",
                        help="the estimator the others are compared with (default monte_carlo)")
    parser.add_argument("--points", action="append", metavar="ID",
                        help="point ids for curves.png (repeat or separate by commas)")
    args = parser.parse_args(argv)
    try:
        requested = _split(args.points, int)
    except ValueError:
        parser.error("--points takes point ids (integers), got %r" % ",".join(args.points))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("%s: needs matplotlib (apt-get install python3-matplotlib)" % PROGRAM,
              file=sys.stderr)
        return 1

    try:
        rows = load(args.results)
    except ResultsError as exc:
        print("%s: %s" % (PROGRAM, exc), file=sys.stderr)
        return 1
    present = list(dict.fromkeys(r["estimator"] for r in rows))
    wanted = _split(args.estimator)
    unknown = [e for e in wanted if e not in present]
    if unknown:
        print("%s: no rows of estimator '%s' (the files have: %s)"
              % (PROGRAM, unknown[0], ", ".join(present)), file=sys.stderr)
        return 1
    estimators = [e for e in present if not wanted or e in wanted]
    errors = sum(r["status"] == "error" for r in rows)
    print("%s: %d rows, %d points, estimators %s%s"
          % (PROGRAM, len(rows), len({r["point_id"] for r in rows}), ", ".join(present),
             "; error rows left out: %d" % errors if errors else ""))

    if requested:  # check --points before drawing anything
        try:
            choose_points(rows, estimators, args.reference, requested)
        except ResultsError as exc:
            print("%s: %s" % (PROGRAM, exc), file=sys.stderr)
            return 1
    os.makedirs(args.out_dir, exist_ok=True)
    notes, written = [], 0
    scatter_estimators = estimators + ([args.reference] if args.reference not in estimators
                                       and args.reference in present else [])
    figures = [
        ("scatter.png", lambda p: plot_scatter(plt, rows, scatter_estimators, args.reference, p)),
        ("curves.png", lambda p: plot_curves(plt, rows, estimators, args.reference, requested,
                                             p)),
        ("classes.png", lambda p: plot_classes(plt, [r for r in rows
                                                     if r["estimator"] in estimators],
                                               estimators, p, notes)),
    ]
    for name, draw in figures:
        path = os.path.join(args.out_dir, name)
        try:
            reason = draw(path)
        except ResultsError as exc:
            print("%s: %s" % (PROGRAM, exc), file=sys.stderr)
            return 1
        if reason:
            stale = os.path.exists(path)
            if stale:  # an older run's figure would pass for this run's
                os.remove(path)
            print("%s: skipped %s: %s%s" % (PROGRAM, name, reason,
                                             " (removed the old %s)" % name if stale else ""))
        else:
            written += 1
            print("%s: wrote %s" % (PROGRAM, path))
    for note in notes:
        print("%s: note: %s" % (PROGRAM, note))
    if not written:
        print("%s: no figure could be drawn from these results" % PROGRAM, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

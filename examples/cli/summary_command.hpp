#pragma once
// summary_command.hpp — `probust-cli summary`: what a result file says, as text on stdout,
// from the functions of <probust/summary.hpp>. For each (estimator, σ): the mean
// robustness per class with a Student-t interval (differences between classes are the
// model's robustness bias), the K most vulnerable points; then, per σ, how every
// estimator agrees with Monte Carlo (mean and max error, Spearman's ρ, fraction inside the
// Monte-Carlo interval) when the file has monte_carlo rows.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <probust/dataset.hpp>
#include <probust/errors.hpp>
#include <probust/summary.hpp>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "row_files.hpp"

namespace probust_cli {

inline const char* const summary_help = R"help(usage: probust-cli summary FILE [options]

Prints what a result file of `estimate` or `merge` (CSV or JSON Lines) says, for each
estimator and sigma in it:
  * mean robustness per class: points, error rows, mean p, its Student-t interval over the
    points, and the mean of the estimates' own bounds;
  * the K most vulnerable points (largest 1 - p);
and, per sigma, the agreement of every other estimator with the reference estimator
(monte_carlo unless --reference): pairs, mean absolute error, max error, Spearman rank
correlation, fraction of estimates inside the reference's interval.

Options:
  --estimator NAME     only this estimator (as in the `estimator` column). Default: all.
  --sigma S            only this sigma. Default: all.
  --by KEY             label | predicted: group the classes by the true label or by the
                       predicted class. Default: label if every row has one, else predicted.
  --top K              how many vulnerable points to list (0: none). Default: 10.
  --confidence C       level of the per-class intervals, in (0, 1). Default: 0.95.
  --reference NAME     the estimator the others are compared with. Default: monte_carlo.

Exit status: 0 success, 1 unreadable or malformed file (or nothing selected), 2 bad
command line.
)help";

struct summary_settings {
  std::string file;
  std::string estimator;  ///< "" = all
  bool sigma_given = false;
  double sigma = 0.0;
  std::string by;  ///< "", "label" or "predicted"
  std::uint64_t top = 10;
  double confidence = 0.95;
  std::string reference = "monte_carlo";
};

/// Parses `probust-cli summary ...`. False if --help was printed.
inline bool parse_summary(int argc, const char* const* argv, summary_settings& s) {
  command_line cl("summary");
  std::vector<std::string> files;
  cl.positionals(files);
  cl.option("--estimator", [&](const std::string& v) { s.estimator = v; });
  cl.option("--sigma", [&](const std::string& v) {
    s.sigma = parse_positive("--sigma", v);
    s.sigma_given = true;
  });
  cl.option("--by", [&](const std::string& v) {
    s.by = parse_choice("--by", v, {"label", "predicted"});
  });
  cl.option("--top", [&](const std::string& v) { s.top = parse_count("--top", v); });
  cl.option("--confidence", [&](const std::string& v) {
    s.confidence = parse_real("--confidence", v);
    if (!(s.confidence > 0.0 && s.confidence < 1.0)) {
      throw usage_error("--confidence: must lie strictly between 0 and 1");
    }
  });
  cl.option("--reference", [&](const std::string& v) { s.reference = v; });
  if (!cl.parse(argc, argv)) {
    std::fputs(summary_help, stdout);
    return false;
  }
  if (files.size() != 1) {
    throw usage_error("summary: give exactly one result file (see probust-cli summary --help)");
  }
  s.file = files.front();
  return true;
}

namespace detail {

/// The distinct values of `key(row)` in the order of first appearance.
template <class Key>
auto distinct(const std::vector<probust::dataset_row>& rows, Key key) {
  std::vector<decltype(key(rows.front()))> values;
  for (const probust::dataset_row& row : rows) {
    if (std::find(values.begin(), values.end(), key(row)) == values.end()) {
      values.push_back(key(row));
    }
  }
  return values;
}

inline void print_class_table(const std::vector<probust::dataset_row>& rows,
                              const summary_settings& s, bool by_label) {
  const std::vector<probust::class_summary> classes = probust::per_class_summary(
      rows, by_label ? probust::class_key::label : probust::class_key::predicted, s.confidence);
  char level[16];
  std::snprintf(level, sizeof level, "%.4g%%", s.confidence * 100.0);
  std::printf(
      "Robustness by %s: mean p over the points, its %s Student-t interval, and the\n"
      "mean of the points' own bounds (the estimator's error alone):\n",
      by_label ? "true label" : "predicted class", level);
  std::printf("  %5s  %6s  %6s  %7s  %-18s  %s\n", "class", "points", "errors", "mean",
              (std::string(level) + " interval").c_str(), "estimate bounds");
  for (const probust::class_summary& c : classes) {
    if (c.points == 0) {  // every row of the class is an error row
      std::printf("  %5d  %6zu  %6zu  %7s\n", c.class_id, c.points, c.errors, "-");
      continue;
    }
    std::printf("  %5d  %6zu  %6zu  %7.4f  [%6.4f, %6.4f]  [%6.4f, %6.4f]\n", c.class_id, c.points,
                c.errors, c.mean, c.lower, c.upper, c.estimate_lower, c.estimate_upper);
  }
  std::size_t points = 0, errors = 0;
  double sum = 0.0;
  for (const probust::dataset_row& row : rows) {
    if (row.status == probust::row_status::error) {
      ++errors;
    } else {
      ++points;
      sum += row.result.probability;
    }
  }
  if (points == 0) {
    std::printf("  %5s  %6zu  %6zu  %7s\n", "all", points, errors, "-");
  } else {
    std::printf("  %5s  %6zu  %6zu  %7.4f\n", "all", points, errors,
                sum / static_cast<double>(points));
  }
}

inline void print_most_vulnerable(const std::vector<probust::dataset_row>& rows,
                                  std::uint64_t top) {
  if (top == 0) return;
  const std::vector<probust::dataset_row> worst =
      probust::most_vulnerable(rows, static_cast<std::size_t>(top));
  std::printf("\nMost vulnerable: the %s with the largest 1 - p\n",
              count_of(worst.size(), "point").c_str());
  std::printf("  %8s  %5s  %9s  %10s  %10s  %-18s  %s\n", "point", "label", "predicted", "p",
              "1 - p", "interval", "status");
  for (const probust::dataset_row& row : worst) {
    const std::string label = row.label < 0 ? "-" : std::to_string(row.label);
    std::printf("  %8llu  %5s  %9d  %10.6f  %10.3e  [%6.4f, %6.4f]  %s\n",
                static_cast<unsigned long long>(row.point_id), label.c_str(),
                row.result.predicted_class, row.result.probability, row.result.complement,
                row.result.lower, row.result.upper, probust::row_status_name(row.status));
  }
}

inline void print_agreement(const std::vector<probust::dataset_row>& rows,
                            const std::vector<std::string>& estimators, const summary_settings& s,
                            double sigma) {
  std::printf("\n=== agreement with %s, sigma %s ===\n", s.reference.c_str(),
              format_number(sigma).c_str());
  std::printf("  %-24s  %6s  %8s  %9s  %12s  %17s\n", "estimator", "pairs", "MAE", "max error",
              "Spearman rho", "within interval");
  for (const std::string& name : estimators) {
    if (name == s.reference) continue;
    try {
      const probust::agreement_summary a = probust::agreement(rows, name, s.reference);
      std::printf("  %-24s  %6zu  %8.5f  %9.5f  %12.4f  %16.1f%%\n", name.c_str(), a.pairs, a.mae,
                  a.max_error, a.rank_correlation, 100.0 * a.within_reference);
    } catch (const probust::invalid_argument&) {
      std::printf("  %-24s  no point with both estimates\n", name.c_str());
    }
  }
}

}  // namespace detail

/// `probust-cli summary`.
inline int run_summary(const summary_settings& s) {
  const row_file file = read_rows(s.file);
  std::vector<probust::dataset_row> rows;
  for (const probust::dataset_row& row : file.rows) {
    if (!s.sigma_given || row.sigma == s.sigma) rows.push_back(row);
  }
  if (rows.empty()) {
    throw data_error(s.file + (file.rows.empty()
                                   ? " has no rows"
                                   : " has no rows with sigma " + format_number(s.sigma)));
  }
  const auto estimators = detail::distinct(rows, [](const auto& r) { return r.estimator; });
  const auto sigmas = detail::distinct(rows, [](const auto& r) { return r.sigma; });
  if (!s.estimator.empty() &&
      std::find(estimators.begin(), estimators.end(), s.estimator) == estimators.end()) {
    std::string names;
    for (const std::string& e : estimators) names += (names.empty() ? "" : ", ") + e;
    throw data_error(s.file + " has no rows of estimator '" + s.estimator + "' (it has " + names +
                     ")");
  }
  const bool all_labelled =
      std::all_of(rows.begin(), rows.end(), [](const auto& r) { return r.label >= 0; });
  if (s.by == "label" && !all_labelled) {
    throw data_error("--by label: " + s.file +
                     " has rows without a label (run estimate with --label-column)");
  }
  const bool by_label = s.by.empty() ? all_labelled : s.by == "label";

  const auto points = detail::distinct(rows, [](const auto& r) { return r.point_id; });
  std::printf("%s: %zu rows, %zu points, %zu estimator(s), %zu sigma value(s)\n", s.file.c_str(),
              rows.size(), points.size(), estimators.size(), sigmas.size());
  for (const std::string& name : estimators) {
    if (!s.estimator.empty() && name != s.estimator) continue;
    for (const double sigma : sigmas) {
      const std::vector<probust::dataset_row> series = probust::select_rows(rows, name, sigma);
      std::printf("\n=== %s, sigma %s ===\n", name.c_str(), format_number(sigma).c_str());
      detail::print_class_table(series, s, by_label);
      detail::print_most_vulnerable(series, s.top);
    }
  }
  if (std::find(estimators.begin(), estimators.end(), s.reference) != estimators.end()) {
    std::vector<std::string> compared;
    for (const std::string& name : estimators) {
      if (s.estimator.empty() || name == s.estimator) compared.push_back(name);
    }
    for (const double sigma : sigmas) {
      std::vector<probust::dataset_row> at_sigma;
      for (const probust::dataset_row& row : rows) {
        if (row.sigma == sigma) at_sigma.push_back(row);
      }
      detail::print_agreement(at_sigma, compared, s, sigma);
    }
  }
  return exit_success;
}

}  // namespace probust_cli

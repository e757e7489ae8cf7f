#pragma once
/// \file summary.hpp
/// What users ask of a dataset run (dataset.hpp): mean robustness per class with
/// confidence intervals (robustness bias between classes), the most vulnerable points,
/// and how well an estimator agrees with a reference such as Monte Carlo.

#include <boost/math/distributions/students_t.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "probust/dataset.hpp"
#include "probust/detail/boost_policy.hpp"
#include "probust/errors.hpp"

namespace probust {

/// The rows of one estimator (`estimator`, as in dataset_row::estimator) and, unless
/// `sigma` is NaN (the default: every σ), of one noise level σ, in their original order.
inline std::vector<dataset_row> select_rows(
    const std::vector<dataset_row>& rows, const std::string& estimator,
    double sigma = std::numeric_limits<double>::quiet_NaN()) {
  std::vector<dataset_row> out;
  for (const dataset_row& row : rows) {
    if (row.estimator == estimator && (std::isnan(sigma) || row.sigma == sigma)) {
      out.push_back(row);
    }
  }
  return out;
}

/// What per_class_summary groups the points by.
enum class class_key {
  predicted,  ///< the class predicted at x (result.predicted_class)
  label,      ///< the true label (dataset_row::label; rows without one are an error)
};

/// The robustness of the points of one class.
struct class_summary {
  int class_id = -1;          ///< the class
  std::size_t points = 0;     ///< rows with an estimate (status ok or not_converged)
  std::size_t errors = 0;     ///< error rows of the class (not in the mean; label grouping only)
  double mean = 0.0;          ///< mean p over the points
  double deviation = 0.0;     ///< sample standard deviation of p (0 for one point)
  /// The Student-t interval mean ∓ t_{1−α/2, m−1}·deviation/√m of the class's mean
  /// robustness as a population quantity (the points a sample of the class), clipped to
  /// [0, 1]; [0, 1] when m < 2.
  double lower = 0.0;
  double upper = 1.0;
  /// The mean of the points' own lower / upper ends: the band of `mean` from the
  /// estimator's error alone.
  double estimate_lower = 0.0;
  double estimate_upper = 1.0;
};

namespace detail {

/// Throws unless every row has the same estimator and the same σ (NaN counts as equal).
inline void require_one_series(const std::vector<dataset_row>& rows, const char* function) {
  const dataset_row& first = rows.front();
  for (const dataset_row& row : rows) {
    const bool same_sigma = row.sigma == first.sigma ||
                            (std::isnan(row.sigma) && std::isnan(first.sigma));
    if (row.estimator != first.estimator || !same_sigma) {
      throw_invalid_argument(function, "the rows mix estimators or noise levels ('" +
                                           first.estimator + "' and '" + row.estimator +
                                           "'); select one with probust::select_rows");
    }
  }
}

/// Ranks 1..n of v, ties sharing the average of their ranks.
inline std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double shared = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = shared;
    i = j + 1;
  }
  return rank;
}

/// Pearson correlation of x and y; 0 when either is constant.
inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0.0 && syy > 0.0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

}  // namespace detail

/// Mean robustness per class, sorted by class: for the m points of a class with estimates
/// p_1, …, p_m, mean p̄ = Σ p_i/m, deviation s = √(Σ (p_i − p̄)²/(m − 1)), and the
/// Student-t interval p̄ ∓ t_{1−α/2, m−1}·s/√m at level `confidence` = 1 − α (see
/// class_summary). Differences between the classes' means are the robustness bias of the
/// model (Han, Srinivas & Lakkaraju, UAI 2024, §6). `rows` must be one estimator at one
/// noise level (select_rows); error rows are counted, never averaged. Throws
/// probust::invalid_argument for mixed rows, confidence ∉ (0, 1), or — grouping by label
/// — a row without a label.
inline std::vector<class_summary> per_class_summary(const std::vector<dataset_row>& rows,
                                                    class_key key = class_key::predicted,
                                                    double confidence = 0.95) {
  constexpr const char* fn = "probust::per_class_summary";
  if (!(confidence > 0.0 && confidence < 1.0)) {
    detail::throw_invalid_argument(fn, "confidence must be in (0, 1), got " +
                                           std::to_string(confidence));
  }
  if (rows.empty()) return {};
  detail::require_one_series(rows, fn);
  std::map<int, std::vector<const dataset_row*>> groups;
  std::map<int, std::size_t> errors;
  for (const dataset_row& row : rows) {
    if (key == class_key::label && row.label < 0) {
      detail::throw_invalid_argument(fn, "point " + std::to_string(row.point_id) +
                                             " has no label; group by class_key::predicted");
    }
    if (row.status == row_status::error) {
      if (key == class_key::label) ++errors[row.label];
      continue;
    }
    groups[key == class_key::label ? row.label : row.result.predicted_class].push_back(&row);
  }
  for (const auto& e : errors) groups[e.first];  // a class whose every row failed still appears
  std::vector<class_summary> out;
  for (const auto& [id, members] : groups) {
    class_summary s;
    s.class_id = id;
    s.points = members.size();
    s.errors = errors.count(id) ? errors.at(id) : 0;
    if (members.empty()) {
      s.mean = s.estimate_lower = s.lower = 0.0;
      s.estimate_upper = s.upper = 1.0;
      out.push_back(s);
      continue;
    }
    const double m = static_cast<double>(members.size());
    double sum = 0.0, low = 0.0, high = 0.0;
    for (const dataset_row* r : members) {
      sum += r->result.probability;
      low += r->result.lower;
      high += r->result.upper;
    }
    s.mean = sum / m;
    s.estimate_lower = low / m;
    s.estimate_upper = high / m;
    if (members.size() >= 2) {
      double squares = 0.0;
      for (const dataset_row* r : members) {
        squares += (r->result.probability - s.mean) * (r->result.probability - s.mean);
      }
      s.deviation = std::sqrt(squares / (m - 1.0));
      const double t = detail::call_boost(fn, [&] {
        return boost::math::quantile(boost::math::complement(
            boost::math::students_t_distribution<double, detail::boost_policy>(m - 1.0),
            (1.0 - confidence) / 2.0));
      });
      s.lower = std::clamp(s.mean - t * s.deviation / std::sqrt(m), 0.0, 1.0);
      s.upper = std::clamp(s.mean + t * s.deviation / std::sqrt(m), 0.0, 1.0);
    }
    out.push_back(s);
  }
  return out;
}

/// The `count` least robust points (all when count exceeds them), most vulnerable first:
/// sorted by 1 − p descending (result.complement, accurate near p = 1, so points with
/// p = 1 − 1e-9 and 1 − 1e-12 are still told apart), ties by point id. `rows` must be one
/// estimator at one noise level; error rows are left out (count them with per_class_summary
/// or by status).
inline std::vector<dataset_row> most_vulnerable(const std::vector<dataset_row>& rows,
                                                std::size_t count) {
  if (rows.empty()) return {};
  detail::require_one_series(rows, "probust::most_vulnerable");
  std::vector<dataset_row> out;
  for (const dataset_row& row : rows) {
    if (row.status != row_status::error) out.push_back(row);
  }
  std::stable_sort(out.begin(), out.end(), [](const dataset_row& a, const dataset_row& b) {
    if (a.result.complement != b.result.complement) {
      return a.result.complement > b.result.complement;
    }
    return a.point_id < b.point_id;
  });
  if (out.size() > count) out.resize(count);
  return out;
}

/// How an estimator agrees with a reference estimator run on the same points.
struct agreement_summary {
  std::size_t pairs = 0;       ///< (point, σ) with both estimates (no error row)
  std::size_t skipped = 0;     ///< rows of either estimator without a usable partner
  double mae = 0.0;            ///< mean |p − p_ref|
  double max_error = 0.0;      ///< max |p − p_ref|
  /// Spearman's rank correlation of p and p_ref (ties → average ranks; 0 when either is
  /// constant): does the estimator order the points as the reference does?
  double rank_correlation = 0.0;
  /// Fraction of pairs whose p lies in the reference's interval [lower, upper].
  double within_reference = 0.0;
};

/// Agreement of `estimator` with `reference` (default "monte_carlo") over the rows both
/// have for the same (point id, σ): mean and maximum absolute difference, Spearman rank
/// correlation, and the fraction inside the reference's interval. Rows of other
/// estimators are ignored; error rows and rows without a partner are counted in
/// `skipped`. Throws probust::invalid_argument when the two estimators share no pair or
/// are the same.
inline agreement_summary agreement(const std::vector<dataset_row>& rows,
                                   const std::string& estimator,
                                   const std::string& reference = "monte_carlo") {
  constexpr const char* fn = "probust::agreement";
  if (estimator == reference) {
    detail::throw_invalid_argument(fn, "the estimator and the reference are both '" + estimator +
                                           "'");
  }
  using key_type = std::pair<std::uint64_t, double>;
  // σ is NaN for non-isotropic noise; key it as +inf so that such rows pair up.
  const auto key_of = [](const dataset_row& r) {
    return key_type(r.point_id,
                    std::isnan(r.sigma) ? std::numeric_limits<double>::infinity() : r.sigma);
  };
  std::map<key_type, const dataset_row*> ref;
  std::size_t candidates = 0;
  for (const dataset_row& row : rows) {
    if (row.estimator == reference && row.status != row_status::error) ref[key_of(row)] = &row;
    if (row.estimator == estimator || row.estimator == reference) ++candidates;
  }
  agreement_summary s;
  std::vector<double> p, p_ref;
  double within = 0.0;
  for (const dataset_row& row : rows) {
    if (row.estimator != estimator || row.status == row_status::error) continue;
    const auto it = ref.find(key_of(row));
    if (it == ref.end()) continue;
    const robustness_result& r = it->second->result;
    const double difference = std::fabs(row.result.probability - r.probability);
    s.mae += difference;
    s.max_error = std::max(s.max_error, difference);
    within += r.lower <= row.result.probability && row.result.probability <= r.upper ? 1.0 : 0.0;
    p.push_back(row.result.probability);
    p_ref.push_back(r.probability);
  }
  s.pairs = p.size();
  if (s.pairs == 0) {
    detail::throw_invalid_argument(fn, "no (point, sigma) has both '" + estimator + "' and '" +
                                           reference + "' estimates");
  }
  s.skipped = candidates - 2 * s.pairs;
  s.mae /= static_cast<double>(s.pairs);
  s.within_reference = within / static_cast<double>(s.pairs);
  s.rank_correlation = detail::pearson(detail::average_ranks(p), detail::average_ranks(p_ref));
  return s;
}

}  // namespace probust

#pragma once
/// \file engine.hpp
/// The MVN engine behind mvn_cdf and polytope_probability: standardizes a problem
/// P(a ≤ X ≤ b), X ~ N(0, Σ), removes constraints that are vacuous or deterministic,
/// and dispatches on the number k of remaining constraints:
///   k ≤ 3  closed forms (erfc, Genz's BVN and TVN), inclusion–exclusion for rectangles;
///   k ≥ 4  Genz separation of variables on randomized Sobol' points (genz_qmc.hpp),
///          exponentially tilted when p is small (minimax_tilting.hpp);
/// and, when the union bound μ = Σ P(X_i ∉ [a_i, b_i]) is small, computes 1 − p itself —
/// pinned between Bonferroni–Hunter bounds when they nearly meet, else by importance
/// sampling of the union of rare events (rare_event.hpp) — so 1 − p keeps its relative
/// accuracy however close p is to 1.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "probust/errors.hpp"
#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/detail/genz_qmc.hpp"
#include "probust/mvn/detail/minimax_tilting.hpp"
#include "probust/mvn/detail/pivoted_cholesky.hpp"
#include "probust/mvn/options.hpp"
#include "probust/mvn/detail/rare_event.hpp"
#include "probust/mvn/trivariate.hpp"
#include "probust/mvn/univariate.hpp"

namespace probust::detail {

/// Below this union bound, 1 − p is computed from bounds or by rare-event sampling rather
/// than as 1 − p (sampling only below 2·abs_tol/complement_rel_tol as well).
inline constexpr double rare_event_threshold = 0.05;

/// P(X_i > h_i for all i) for a standard normal vector of dimension ≤ 3 with correlation
/// `r`; coordinates with h_i = −∞ impose nothing and are dropped.
inline double upper_orthant(const std::vector<double>& h, const Eigen::MatrixXd& r) {
  std::vector<int> idx;
  for (int i = 0; i < static_cast<int>(h.size()); ++i) {
    if (h[static_cast<std::size_t>(i)] == std::numeric_limits<double>::infinity()) return 0.0;
    if (h[static_cast<std::size_t>(i)] > -std::numeric_limits<double>::infinity()) {
      idx.push_back(i);
    }
  }
  const auto kept = [&](int i) { return idx[static_cast<std::size_t>(i)]; };
  const auto at = [&](int i) { return h[static_cast<std::size_t>(kept(i))]; };
  const auto rho = [&](int i, int j) { return std::clamp(r(kept(i), kept(j)), -1.0, 1.0); };
  switch (idx.size()) {
    case 0: return 1.0;
    case 1: return normal_ccdf(at(0));
    case 2: return bivariate_normal_upper(at(0), at(1), rho(0, 1));
    default: return trivariate_normal_upper(at(0), at(1), at(2), rho(0, 1), rho(0, 2), rho(1, 2));
  }
}

/// Fills p, 1 − p and log p of P(a ≤ X ≤ b) for k ≤ 3 standardized variables with
/// correlation r. One-sided problems get 1 − p by inclusion–exclusion over upper orthants
/// (1 − P(X ≤ b) = Σ_{∅≠S} (−1)^{|S|+1} P(X_S > b_S)), which keeps relative accuracy;
/// rectangles get p by inclusion–exclusion over the 2^m corners with a finite lower limit.
/// Returns whether the problem was one-sided (then 1 − p is exact too).
inline bool closed_form(const Eigen::MatrixXd& r, const Eigen::VectorXd& a,
                        const Eigen::VectorXd& b, mvn_result& out) {
  const int k = static_cast<int>(a.size());
  constexpr double inf = std::numeric_limits<double>::infinity();
  bool one_sided = true;
  for (int i = 0; i < k; ++i) one_sided = one_sided && a(i) == -inf;
  out.method = k == 1 ? mvn_method::univariate
               : k == 2 ? mvn_method::bivariate : mvn_method::trivariate;
  out.error = 0.0;
  out.complement_error = 0.0;
  if (one_sided) {
    std::vector<double> h(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) h[static_cast<std::size_t>(i)] = -b(i);
    out.probability = upper_orthant(h, r);
    double complement = 0.0;
    for (int subset = 1; subset < (1 << k); ++subset) {
      std::vector<double> hs(static_cast<std::size_t>(k), -inf);
      int size = 0;
      for (int i = 0; i < k; ++i) {
        if (subset & (1 << i)) {
          hs[static_cast<std::size_t>(i)] = b(i);
          ++size;
        }
      }
      complement += (size % 2 == 1 ? 1.0 : -1.0) * upper_orthant(hs, r);
    }
    out.complement = std::clamp(complement, 0.0, 1.0);
    if (k == 1) {
      out.log_probability = log_normal_cdf(b(0));
    }
  } else {
    // Corners: each coordinate with a finite lower limit takes a or b (inclusion–exclusion).
    double p = 0.0;
    for (int corner = 0; corner < (1 << k); ++corner) {
      std::vector<double> h(static_cast<std::size_t>(k));
      bool skip = false;
      int lowers = 0;
      for (int i = 0; i < k; ++i) {
        const bool use_lower = corner & (1 << i);
        if (use_lower && a(i) == -inf) skip = true;
        lowers += use_lower ? 1 : 0;
        h[static_cast<std::size_t>(i)] = -(use_lower ? a(i) : b(i));
      }
      if (!skip) p += (lowers % 2 == 0 ? 1.0 : -1.0) * upper_orthant(h, r);
    }
    out.probability = std::clamp(p, 0.0, 1.0);
    out.complement = 1.0 - out.probability;
    out.complement_error = 1e-15;
    out.error = 1e-15 * (1 << k);
    out.log_probability_error = out.probability > 0.0 ? out.error / out.probability
                                                      : std::numeric_limits<double>::infinity();
  }
  if (k > 1 || !one_sided) {
    out.log_probability = out.probability > 0.5 ? std::log1p(-out.complement)
                                                : std::log(out.probability);
  }
  return one_sided;
}

/// The events whose union is the complement of {a ≤ X ≤ b}: {X_i > b_i} for each finite
/// upper limit (sign +1, limit b_i) and {−X_i > −a_i} for each finite lower limit
/// (sign −1, limit −a_i), in the order of i.
struct limit_events {
  std::vector<int> index;
  std::vector<double> sign;
  std::vector<double> limit;

  limit_events(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    for (int i = 0; i < static_cast<int>(a.size()); ++i) {
      if (std::isfinite(b(i))) add(i, 1.0, b(i));
      if (std::isfinite(a(i))) add(i, -1.0, -a(i));
    }
  }

 private:
  void add(int i, double s, double l) {
    index.push_back(i);
    sign.push_back(s);
    limit.push_back(l);
  }
};

/// Rare-event estimate of 1 − p on the ordered factor: one event per finite limit,
/// {L_i w > b_i} and {−L_i w > −a_i}. The result's `converged` is false if the budget ran
/// out.
inline rare_event_result complement_by_rare_events(const ordered_factor& f, double abs_target,
                                                   const mvn_options& opt) {
  const limit_events events(f.lower, f.upper);
  const int n = static_cast<int>(events.index.size());
  Eigen::MatrixXd u(n, f.rank);
  Eigen::VectorXd c(n);
  for (int e = 0; e < n; ++e) {
    const auto ue = static_cast<std::size_t>(e);
    const auto row = f.factor.row(events.index[ue]);
    const double norm = row.norm();
    u.row(e) = events.sign[ue] * row / norm;
    c(e) = events.limit[ue] / norm;
  }
  const double mu = union_bound(c).upper;
  const double rel = std::min(opt.complement_rel_tol, mu > 0.0 ? abs_target / mu : 1.0);
  // A seed of its own, so these draws never share a stream with the QMC randomizations.
  return union_probability(u, c, rel, opt.max_points, mix64(opt.seed ^ 0xa10eULL));
}

/// Tries to pin 1 − p = P(∪ events) between the Bonferroni–Hunter bounds
/// (union_bonferroni_hunter on the limit_events of a, b). Succeeds — `out` filled with the
/// midpoint, error = half the bracket, method = bound — when the half-width is within
/// complement_rel_tol of the lower bound and within the absolute target; that is typical
/// of robust points (p near 1 with one dominant margin) and costs microseconds instead of
/// sampling.
inline bool complement_by_bounds(const Eigen::MatrixXd& r, const Eigen::VectorXd& a,
                                 const Eigen::VectorXd& b, double abs_target,
                                 const mvn_options& opt, mvn_result& out) {
  const limit_events events(a, b);
  const Eigen::Map<const Eigen::VectorXd> c(events.limit.data(),
                                            static_cast<Eigen::Index>(events.limit.size()));
  const auto rho = [&](Eigen::Index e, Eigen::Index f) {
    const auto ue = static_cast<std::size_t>(e);
    const auto uf = static_cast<std::size_t>(f);
    return events.sign[ue] * events.sign[uf] * r(events.index[ue], events.index[uf]);
  };
  const double largest = union_bound(c).lower;
  const double allowed = std::min(opt.complement_rel_tol * largest, abs_target);
  const union_bounds q = union_bonferroni_hunter(c, rho, 0.25 * allowed);
  const double half = 0.5 * (q.upper - q.lower);
  if (!(half <= std::min(opt.complement_rel_tol * q.lower, abs_target))) return false;
  out.method = mvn_method::bound;
  out.complement = 0.5 * (q.lower + q.upper);
  out.complement_error = half;
  out.probability = 1.0 - out.complement;
  out.error = half;
  out.log_probability = std::log1p(-out.complement);
  out.log_probability_error = half / out.probability;
  out.converged = true;
  return true;
}

/// P(a ≤ X ≤ b) for X ~ N(0, R), R a correlation matrix (unit diagonal), all rows active.
inline mvn_result correlated_probability(const Eigen::MatrixXd& r, const Eigen::VectorXd& a,
                                         const Eigen::VectorXd& b, const mvn_options& opt,
                                         const char* function, const char* argument,
                                         bool psd_by_construction) {
  const int k = static_cast<int>(a.size());
  mvn_result out;
  out.constraints = k;
  double mu = 0.0;  // union bound on 1 − p
  for (int i = 0; i < k; ++i) mu += normal_cdf(a(i)) + normal_ccdf(b(i));
  const double abs_target = std::max(opt.abs_tol, opt.rel_tol);

  if (k <= 3) {
    if (k == 3 && !psd_by_construction) {
      const double det = r.determinant();
      if (det < -1e-10) {
        throw_invalid_argument(function, std::string(argument) + " is not positive semi-definite");
      }
    }
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < i; ++j) {
        if (std::abs(r(i, j)) > 1.0 + 1e-10 && !psd_by_construction) {
          throw_invalid_argument(function,
                                 std::string(argument) + " is not positive semi-definite");
        }
      }
    }
    out.dimension = k;
    const bool one_sided = closed_form(r, a, b, out);
    // A two-sided rectangle gets 1 − p as 1 − p (absolute error ~1e-15); below 1e-12 that
    // is no longer accurate to 1e-3 relative, so sample the rare violations instead.
    if (!one_sided && out.complement < 1e-12) {
      const ordered_factor f = pivoted_cholesky(r, a, b, opt.rank_tol, function, argument,
                                                  psd_by_construction);
      const rare_event_result q = complement_by_rare_events(f, abs_target, opt);
      out.complement = q.value;
      out.complement_error = q.error;
      out.points = q.samples;
      out.converged = q.converged;
    }
    return out;
  }

  const ordered_factor f = pivoted_cholesky(r, a, b, opt.rank_tol, function, argument,
                                                  psd_by_construction);
  out.dimension = f.rank;
  if (mu == 0.0) {  // every limit beyond ±38.5: 1 − p < 1e-300, not representable
    out.probability = 1.0;
    out.complement = 0.0;
    out.method = mvn_method::bound;
    return out;
  }
  if (mu <= rare_event_threshold && complement_by_bounds(r, a, b, abs_target, opt, out)) {
    return out;
  }
  // Sampling the rare events pays only where QMC's absolute error abs_target would not
  // give 1 − p (≤ μ) to complement_rel_tol; above, ALOE's variance (∝ μ − (1 − p)) makes
  // it far slower than QMC.
  if (mu <= std::min(rare_event_threshold, 2.0 * abs_target / opt.complement_rel_tol)) {
    const rare_event_result q = complement_by_rare_events(f, abs_target, opt);
    out.method = mvn_method::rare_event;
    out.complement = q.value;
    out.complement_error = q.error;
    out.probability = 1.0 - q.value;
    out.error = q.error;
    out.log_probability = std::log1p(-q.value);
    out.log_probability_error = q.error / (1.0 - q.value);
    out.points = q.samples;
    out.converged = q.converged;
    return out;
  }
  const qmc_estimate p = integrate_small_p(f, opt);
  const double scale = std::exp(p.log_scale);
  out.method = p.tilted ? mvn_method::minimax_tilting : mvn_method::genz_qmc;
  out.probability = std::clamp(scale * p.value, 0.0, 1.0);
  out.error = std::isinf(p.error) ? p.error : scale * p.error;  // never 0·∞
  out.complement = 1.0 - out.probability;
  out.complement_error = out.error;
  out.points = p.points;
  out.converged = p.converged;
  out.log_probability = p.log_scale + std::log(p.value);
  out.log_probability_error =
      p.value > 0.0 ? p.error / p.value : std::numeric_limits<double>::infinity();
  return out;
}

/// Standardized limits beyond this many standard deviations are settled at once: an upper
/// limit above it (a lower limit below its negative) is dropped, an upper limit below its
/// negative (a lower limit above it) makes p = 0. Either changes p by less than
/// Φ(−1e100) = exp(−5e199), and no square of a limit can overflow.
inline constexpr double far_limit = 1e100;

/// P(a ≤ X ≤ b) for X ~ N(0, Σ) with Σ symmetric with non-negative diagonal (checked by
/// the caller). A coordinate with zero variance is a deterministic constraint 0 ∈ [a_i, b_i];
/// the others are standardized each by its own standard deviation (so the answer does not
/// depend on the scale of Σ, nor on how the scales of the coordinates differ), limits beyond
/// far_limit are settled, a coordinate with a_i = b_i has probability 0, and one with
/// a_i = −∞, b_i = +∞ imposes nothing. The rest is passed to correlated_probability as a
/// correlation matrix. `psd_by_construction`: Σ was formed as F Fᵀ (never reported non-PSD).
inline mvn_result covariance_probability(const Eigen::MatrixXd& sigma, const Eigen::VectorXd& a,
                                         const Eigen::VectorXd& b, const mvn_options& opt,
                                         const char* function, const char* argument,
                                         bool psd_by_construction = false) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  validate_mvn_options(opt, function);
  const int k = static_cast<int>(a.size());
  const double scale = k > 0 ? sigma.diagonal().maxCoeff() : 0.0;
  mvn_result impossible;
  impossible.probability = 0.0;
  impossible.complement = 1.0;
  impossible.log_probability = -inf;
  std::vector<int> active;
  std::vector<double> lo, hi;
  for (int i = 0; i < k; ++i) {
    if (a(i) > b(i)) {
      throw_invalid_argument(function, "lower limit exceeds upper limit at index " +
                                           std::to_string(i));
    }
  }
  for (int i = 0; i < k; ++i) {
    if (a(i) == inf || b(i) == -inf) return impossible;
    if (sigma(i, i) == 0.0) {  // deterministic X_i = 0
      if (sigma.row(i).cwiseAbs().maxCoeff() > 1e-10 * scale) {
        throw_invalid_argument(function, std::string(argument) +
                                             " is not positive semi-definite (zero variance "
                                             "with non-zero covariance at row " +
                                             std::to_string(i) + ")");
      }
      if (!(a(i) <= 0.0 && 0.0 <= b(i))) return impossible;
      continue;
    }
    if (a(i) == b(i)) return impossible;  // a point of a continuous coordinate
    const double sd = std::sqrt(sigma(i, i));
    double lower = a(i) / sd, upper = b(i) / sd;
    if (upper < -far_limit || lower > far_limit) return impossible;
    if (upper > far_limit) upper = inf;
    if (lower < -far_limit) lower = -inf;
    if (lower == -inf && upper == inf) continue;
    active.push_back(i);
    lo.push_back(lower);
    hi.push_back(upper);
  }
  const int n = static_cast<int>(active.size());
  if (n == 0) {
    mvn_result certain;
    certain.probability = 1.0;
    certain.complement = 0.0;
    return certain;
  }
  Eigen::MatrixXd r(n, n);
  for (int j = 0; j < n; ++j) {
    const int sj = active[static_cast<std::size_t>(j)];
    const double sd_j = std::sqrt(sigma(sj, sj));
    for (int i = 0; i < n; ++i) {
      const int si = active[static_cast<std::size_t>(i)];
      // σ_ij/σ_i/σ_j rather than σ_ij/(σ_i σ_j): the product may underflow.
      r(i, j) = i == j ? 1.0 : sigma(si, sj) / std::sqrt(sigma(si, si)) / sd_j;
    }
  }
  const Eigen::Map<const Eigen::VectorXd> lower(lo.data(), n), upper(hi.data(), n);
  mvn_result out =
      correlated_probability(r, lower, upper, opt, function, argument, psd_by_construction);
  if (std::isnan(out.probability) || std::isnan(out.complement)) {
    throw_numerical_error(function, "the integration produced NaN (please report this input)");
  }
  if (!(out.error < inf && out.complement_error < inf)) out.converged = false;
  return out;
}

/// P(X ≤ b) for X ~ N(0, Σ): covariance_probability with every lower limit −∞.
inline mvn_result one_sided_probability(const Eigen::MatrixXd& sigma, const Eigen::VectorXd& b,
                                        const mvn_options& opt, const char* function,
                                        const char* argument, bool psd_by_construction = false) {
  const Eigen::VectorXd lower =
      Eigen::VectorXd::Constant(b.size(), -std::numeric_limits<double>::infinity());
  return covariance_probability(sigma, lower, b, opt, function, argument, psd_by_construction);
}

/// Divides m by its largest |m_ij| and returns that number (1, and m unchanged, when m is
/// empty or zero).
inline double divide_by_largest(Eigen::MatrixXd& m) {
  const double top = m.size() > 0 ? m.cwiseAbs().maxCoeff() : 0.0;
  if (top == 0.0) return 1.0;
  m /= top;
  return top;
}

/// Divides each non-zero row i of m by its largest |m_ij|, and b_i by the same number
/// (P(m_i z ≤ b_i) is unchanged); zero rows are left as they are.
inline void scale_rows_by_largest(Eigen::MatrixXd& m, Eigen::VectorXd& b) {
  if (m.cols() == 0) return;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    const double top = m.row(i).cwiseAbs().maxCoeff();
    if (top == 0.0) continue;
    m.row(i) /= top;
    b(i) /= top;
  }
}

/// Divides each non-zero row i of m by its Euclidean norm, and b_i by the same number; the
/// rows are first scaled by their largest entry, so the norm neither overflows nor
/// underflows.
inline void normalize_rows(Eigen::MatrixXd& m, Eigen::VectorXd& b) {
  scale_rows_by_largest(m, b);
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    const double norm = m.row(i).norm();
    if (norm == 0.0) continue;
    m.row(i) /= norm;
    b(i) /= norm;
  }
}

/// P(M z ≤ b), z ~ N(0, I_r), M k × r: with the rows of M normalized (normalize_rows),
/// Σ = M Mᵀ is a correlation matrix (zero rows: deterministic constraints 0 ≤ b_i), so the
/// answer is the same for M and for c·M, c·b at any scale c > 0.
inline mvn_result factor_probability(Eigen::MatrixXd m, Eigen::VectorXd b,
                                     const mvn_options& opt, const char* function,
                                     const char* argument) {
  normalize_rows(m, b);
  const Eigen::MatrixXd sigma = m * m.transpose();
  return one_sided_probability(sigma, b, opt, function, argument, true);
}

}  // namespace probust::detail
